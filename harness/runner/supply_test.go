package runner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/emulated"
	"github.com/poshil/poshil/harness/bench"
)

// testRelayPin is a pin registered with periph.io's registry, as a board
// driver registers its GPIOs: the rig finds it by name like a real one.
var testRelayPin = &gpiotest.Pin{N: "POSHIL_TEST_RELAY", Num: 9001, L: gpio.Low}

func init() {
	if err := gpioreg.Register(testRelayPin); err != nil {
		panic(err)
	}
}

// TestRelaySupplyFromBench: supply: relay opens the named pin through
// periph.io; a cut drives it open, Halt closes it again, and each change
// reaches the rig's callbacks (the DUT process is stopped and started on
// them) in order.
func TestRelaySupplyFromBench(t *testing.T) {
	r := newRig(&bench.Bench{}, Options{})
	pw := &bench.Power{Supply: bench.SupplyRelay, Nominal: power.Voltage(5 * physic.Volt),
		Relay: &bench.RelaySupply{Pin: "POSHIL_TEST_RELAY", ActiveLow: true}}
	s, closeSupply, err := r.openSupply(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSupply()
	var got []emulated.Change
	s.OnChange(func(_ context.Context, c emulated.Change) error {
		got = append(got, c)
		return nil
	})
	ctx := context.Background()
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	if l := testRelayPin.Read(); l != gpio.High {
		t.Errorf("after a cut the active-low pin is %v, want High (relay open)", l)
	}
	if err := s.SetVoltage(ctx, 3*physic.Volt); !errors.Is(err, power.ErrUnsupported) {
		t.Errorf("a relay setting a voltage: %v, want ErrUnsupported (a sag needs a programmable supply)", err)
	}
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if l := testRelayPin.Read(); l != gpio.Low {
		t.Errorf("after Halt the active-low pin is %v, want Low (relay closed, DUT powered)", l)
	}
	if len(got) != 2 || got[0].To.Output || !got[1].To.Output || !got[0].From.Output {
		t.Fatalf("changes seen %+v, want on->off then off->on", got)
	}
	if got[1].To.Voltage != 5*physic.Volt {
		t.Errorf("Halt announced %v, want the nominal 5V", got[1].To.Voltage)
	}
	if s.Path() != "" {
		t.Errorf("a real supply has no state file, got %q", s.Path())
	}
}

// TestRelayPinMissing: a pin periph.io does not know is the bench's
// trouble, named.
func TestRelayPinMissing(t *testing.T) {
	r := newRig(&bench.Bench{}, Options{})
	pw := &bench.Power{Supply: bench.SupplyRelay, Nominal: power.Voltage(5 * physic.Volt),
		Relay: &bench.RelaySupply{Pin: "NO_SUCH_PIN"}}
	if _, _, err := r.openSupply(context.Background(), pw); err == nil || !strings.Contains(err.Error(), `"NO_SUCH_PIN" not found`) {
		t.Fatalf("got %v, want the missing pin named", err)
	}
}
