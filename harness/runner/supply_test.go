package runner_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/scpi/scpisim"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/verdict"
)

// levelLog is a gpiotest pin that remembers every level driven on it.
type levelLog struct {
	*gpiotest.Pin
	mu  sync.Mutex
	out []gpio.Level
}

func (p *levelLog) Out(l gpio.Level) error {
	p.mu.Lock()
	p.out = append(p.out, l)
	p.mu.Unlock()
	return p.Pin.Out(l)
}

func (p *levelLog) levels() []gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.out)
}

// relayBench is a power part: a relay on GPIO17 of a 12 V rail.
func relayBench(activeLow bool) *bench.Power {
	return &bench.Power{Supply: bench.SupplyRelay, Pin: "GPIO17", ActiveLow: activeLow, Nominal: power.Voltage(12 * physic.Volt)}
}

// pins is a pin lookup over gpiotest pins, by name.
func pins(ps ...*levelLog) runner.PinFunc {
	return func(name string) (gpio.PinOut, error) {
		for _, p := range ps {
			if p.Name() == name {
				return p, nil
			}
		}
		return nil, runner.ErrNoPin
	}
}

// TestRelayOpensSafe: the rig finds the relay's pin by the bench's name
// and puts it in the safe state at once: relay closed, DUT powered (pin
// high, or low for an active-low board).
func TestRelayOpensSafe(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		pin := &levelLog{Pin: &gpiotest.Pin{N: "GPIO17", L: gpio.Level(!activeLow)}} // left "off" by the bench
		s, err := runner.OpenSupply(context.Background(), relayBench(activeLow), pins(pin))
		if err != nil {
			t.Fatal(err)
		}
		want := []gpio.Level{gpio.Level(!activeLow)}
		if got := pin.levels(); !slices.Equal(got, want) {
			t.Errorf("active_low %v: pin driven %v, want %v (relay closed)", activeLow, got, want)
		}
		if st := s.State(); !st.Output || st.Voltage != 12*physic.Volt {
			t.Errorf("state %v, want on at 12V", st)
		}
		s.Close()
	}
}

// TestRelayMissingPinIsBenchError: a pin the lookup does not have is a
// bench error naming the pin, through the injected lookup and through
// periph.io's real host drivers (no such GPIO on any host).
func TestRelayMissingPinIsBenchError(t *testing.T) {
	p := relayBench(false)
	p.Pin = "GPIO_POSHIL_NONE"
	for name, lookup := range map[string]runner.PinFunc{"gpiotest": pins(), "host drivers": nil} {
		_, err := runner.OpenSupply(context.Background(), p, lookup)
		if !errors.Is(err, verdict.ErrBench) || !errors.Is(err, runner.ErrNoPin) || !strings.Contains(err.Error(), "GPIO_POSHIL_NONE") {
			t.Errorf("%s: got %v, want a bench error naming GPIO_POSHIL_NONE", name, err)
		}
	}
}

// TestPowerCutOnRelay: a scenario's power cut opens the relay (pin low),
// kills the DUT; its clear closes it (pin high) and boots the DUT again;
// the safe state leaves it closed.
func TestPowerCutOnRelay(t *testing.T) {
	pin := &levelLog{Pin: &gpiotest.Pin{N: "GPIO17"}}
	s, err := runner.OpenSupply(context.Background(), relayBench(false), pins(pin))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fb, r := fakeRigWith(t, s, func(b *bench.Bench) { b.Power = relayBench(false) })
	cutAndRestore(t, fb, r)
	// Open: closed; cut: open; clear: closed; safe states: closed.
	got := pin.levels()
	if len(got) < 3 || !slices.Equal(got[:3], []gpio.Level{gpio.High, gpio.Low, gpio.High}) || got[len(got)-1] != gpio.High {
		t.Errorf("pin driven %v, want High (open), Low (cut), High (restored) ... High (safe)", got)
	}
}

// TestVoltageFaultOnRelay: a relay cannot set a voltage. A scenario
// that sags on a relay bench is INVALID before it runs, at the fault; on
// a rig whose bench claims a variable supply but has a relay, the sag's
// power.ErrUnsupported makes it BENCH_ERROR, not a PASS or a FAIL.
func TestVoltageFaultOnRelay(t *testing.T) {
	sag := `name: sag on a relay
card: visa-credit
timeout: 10s
steps:
  - inject: {sag: {to: 3.3V}}
  - sale: 12.50
expect:
  outcome: LOW_POWER
`
	pin := &levelLog{Pin: &gpiotest.Pin{N: "GPIO17"}}
	s, err := runner.OpenSupply(context.Background(), relayBench(false), pins(pin))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, r := fakeRigWith(t, s, func(b *bench.Bench) { b.Power = relayBench(false) })
	res := run(t, context.Background(), r, parse(t, sag))
	if res.Class != verdict.Invalid || !strings.Contains(res.Reason, "fake.yaml:5:") || !strings.Contains(res.Reason, "voltage") {
		t.Errorf("relay bench: got %s (%s), want INVALID at the sag naming the voltage", res.Class, res.Reason)
	}
	// The bench says emulated: only the supply can tell, when the sag
	// fires (at its step, or from a trigger while the sale runs: the
	// DUT's APPROVED is then not judged against the LOW_POWER expected).
	for _, sc := range []string{sag, strings.Replace(sag, "  - inject: {sag: {to: 3.3V}}\n", "  - inject: {sag: {to: 3.3V}, when: {after: 1ms}}\n", 1)} {
		_, r = fakeRigWith(t, s)
		res = run(t, context.Background(), r, parse(t, sc))
		if res.Class != verdict.BenchError || !strings.Contains(res.Reason, power.ErrUnsupported.Error()) {
			t.Errorf("relay behind an emulated bench: got %s (%s), want BENCH_ERROR with %q", res.Class, res.Reason, power.ErrUnsupported)
		}
	}
}

// scpiOnPTY serves an emulated SCPI instrument on a pty's master until
// the test ends and returns the slave's path.
func scpiOnPTY(t *testing.T, nominal physic.ElectricPotential) (*scpisim.Instrument, string) {
	t.Helper()
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	in := scpisim.New(&scpisim.Opts{Nominal: nominal})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Serve(ctx, pty.Port()) }()
	t.Cleanup(func() { cancel(); <-done; pty.Close() })
	return in, pty.Path()
}

// TestPowerCutOnSCPI: the rig opens the bench's SCPI supply on its line,
// sets it to nominal with the output on; a power cut is OUTP OFF, its
// clear OUTP ON, and the safe state VOLT nominal, OUTP ON. The
// instrument's identity names the supply in the transcript.
func TestPowerCutOnSCPI(t *testing.T) {
	in, path := scpiOnPTY(t, 3*physic.Volt) // left at 3 V, output off
	pw := &bench.Power{Supply: bench.SupplySCPI, Port: path, Baud: 115200, Nominal: power.Voltage(5 * physic.Volt), Limit: power.Voltage(6 * physic.Volt), Timeout: 2 * time.Second}
	s, err := runner.OpenSupply(context.Background(), pw, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if on, v := in.State(); !on || v != 5*physic.Volt {
		t.Fatalf("opened: instrument output %v at %v, want on at 5V", on, v)
	}
	fb, r := fakeRigWith(t, s, func(b *bench.Bench) { b.Power = pw })
	res := cutAndRestore(t, fb, r)
	log := in.Log()
	off := slices.Index(log, "OUTP OFF")
	on := off + 1 + slices.Index(log[off+1:], "OUTP ON")
	if off < 0 || on <= off {
		t.Errorf("instrument saw %q, want OUTP OFF then OUTP ON", log)
	}
	if on, v := in.State(); !on || v != 5*physic.Volt {
		t.Errorf("after the scenario: output %v at %v, want on at 5V (safe state)", on, v)
	}
	if !slices.ContainsFunc(res.Evidence.Transcript, func(l verdict.Line) bool { return strings.Contains(l.Text, "POSHIL,SCPISIM") }) {
		t.Errorf("the instrument's identity is not in the transcript")
	}
	if err := s.SetVoltage(context.Background(), 7*physic.Volt); !errors.Is(err, power.ErrRange) {
		t.Errorf("7V above the 6V limit: %v, want ErrRange", err)
	}
	// Left low and off between scenarios (by hand, a killed run): the
	// next scenario's safe state at its start restores it.
	ctx := context.Background()
	if err := errors.Join(s.SetVoltage(ctx, 4500*physic.MilliVolt), s.SetOutput(ctx, false)); err != nil {
		t.Fatal(err)
	}
	if res := run(t, ctx, r, parse(t, sale)); res.Class != verdict.Pass {
		t.Fatalf("second scenario: got %s (%s), want PASS", res.Class, res.Reason)
	}
	if on, v := in.State(); !on || v != 5*physic.Volt {
		t.Errorf("after a scenario on a supply left at 4.5V, off: output %v at %v, want on at 5V", on, v)
	}
	// Close releases the line: the supply no longer answers.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Measure(ctx); !errors.Is(err, serial.ErrClosed) {
		t.Errorf("measure after close: %v, want %v", err, serial.ErrClosed)
	}
}

// TestSCPIMissingLineIsBenchError: a SCPI supply whose line is not there
// is a bench error naming the port.
func TestSCPIMissingLineIsBenchError(t *testing.T) {
	pw := &bench.Power{Supply: bench.SupplySCPI, Port: "/dev/poshil-no-such-tty", Nominal: power.Voltage(5 * physic.Volt), Timeout: time.Second}
	_, err := runner.OpenSupply(context.Background(), pw, nil)
	if !errors.Is(err, verdict.ErrBench) || !strings.Contains(err.Error(), "/dev/poshil-no-such-tty") {
		t.Errorf("got %v, want a bench error naming the port", err)
	}
}
