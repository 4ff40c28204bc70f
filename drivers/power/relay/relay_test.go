package relay

import (
	"context"
	"errors"
	"testing"

	"periph.io/x/conn/v3/analog"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"

	"github.com/poshil/poshil/drivers/power"
)

// railADC is the rail behind the relay: nominal when the contact is
// closed, 0V when open, as an ADC on the rail would read it.
type railADC struct {
	pin.BasicPin
	relay   *gpiotest.Pin
	closeAt gpio.Level
	err     error
}

func (a *railADC) Range() (analog.Sample, analog.Sample) { return analog.Sample{}, analog.Sample{} }
func (a *railADC) Read() (analog.Sample, error) {
	if a.err != nil {
		return analog.Sample{}, a.err
	}
	if a.relay.Read() == a.closeAt {
		return analog.Sample{V: 12 * physic.Volt, Raw: 12000}, nil
	}
	return analog.Sample{}, nil
}

func TestRelay(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		activeLow bool
		onLevel   gpio.Level
	}{
		{"active high", false, gpio.High},
		{"active low", true, gpio.Low},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &gpiotest.Pin{N: "GPIO17", Num: 17, L: !tt.onLevel}
			adc := &railADC{BasicPin: pin.BasicPin{N: "AIN0"}, relay: p, closeAt: tt.onLevel}
			r, err := New(p, &Opts{ActiveLow: tt.activeLow, Nominal: 12 * physic.Volt, ADC: adc})
			if err != nil {
				t.Fatal(err)
			}
			if p.Read() != !tt.onLevel {
				t.Fatal("New drove the pin")
			}
			if v, err := r.Measure(ctx); err != nil || v != 0 {
				t.Errorf("Measure with relay open = %v, %v", v, err)
			}
			if err := r.SetOutput(ctx, true); err != nil || p.Read() != tt.onLevel {
				t.Fatalf("SetOutput(true): %v, pin %v", err, p.Read())
			}
			if v, err := r.Measure(ctx); err != nil || v != 12*physic.Volt {
				t.Errorf("Measure with relay closed = %v, %v", v, err)
			}
			if err := r.SetOutput(ctx, false); err != nil || p.Read() != !tt.onLevel {
				t.Fatalf("SetOutput(false): %v, pin %v", err, p.Read())
			}
			if err := r.SetOutput(ctx, false); err != nil || p.Read() != !tt.onLevel {
				t.Fatalf("SetOutput(false) twice: %v, pin %v", err, p.Read())
			}
			if err := r.Halt(); err != nil || p.Read() != tt.onLevel {
				t.Fatalf("Halt: %v, pin %v (want the DUT powered)", err, p.Read())
			}
			if r.Nominal() != 12*physic.Volt || r.String() != "relay GPIO17(17)" {
				t.Errorf("Nominal %v, String %q", r.Nominal(), r.String())
			}
		})
	}
}

func TestRelayErrors(t *testing.T) {
	ctx := context.Background()
	p := &gpiotest.Pin{N: "GPIO5", Num: 5}
	r, err := New(p, &Opts{Name: "dut relay"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetVoltage(ctx, 3*physic.Volt); !errors.Is(err, power.ErrUnsupported) {
		t.Errorf("SetVoltage: %v", err)
	}
	if _, err := r.Measure(ctx); !errors.Is(err, power.ErrUnsupported) {
		t.Errorf("Measure without ADC: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.SetOutput(cancelled, true); !errors.Is(err, context.Canceled) || p.Read() != gpio.Low {
		t.Errorf("SetOutput with a cancelled ctx: %v, pin %v", err, p.Read())
	}
	boom := errors.New("adc gone")
	r2, _ := New(p, &Opts{ADC: &railADC{BasicPin: pin.BasicPin{N: "AIN1"}, relay: p, err: boom}})
	if _, err := r2.Measure(ctx); !errors.Is(err, boom) {
		t.Errorf("ADC error: %v", err)
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("New(nil) succeeded")
	}
}
