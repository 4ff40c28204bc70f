// Package relay is a power.Supply made of a relay on a periph.io GPIO pin:
// the DUT's power goes through the relay contact, the pin switches it. It
// can only switch (SetVoltage fails with power.ErrUnsupported); with an
// analog.PinADC on the rail it also reads back.
//
// It does not open pins: the caller gets them from periph.io (gpioreg.ByName
// after host.Init, or gpiotest pins in tests) and keeps their lifetime.
package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3/analog"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
)

// ErrNoPin is returned by New without a pin.
var ErrNoPin = errors.New("relay: no pin")

// Opts configures a relay; the zero value is a normally-open relay driven
// active high, without read-back.
type Opts struct {
	// Name names the supply in errors; default "relay <pin>".
	Name string
	// ActiveLow drives the pin Low to close the relay (power on), as
	// many relay boards with an opto-isolated input do.
	ActiveLow bool
	// Nominal is the rail voltage the relay switches, for faults that
	// restore a voltage (informative: a relay cannot set it).
	Nominal physic.ElectricPotential
	// ADC, if set, reads the rail for Measure. It must report the rail
	// voltage itself (scale a divider in the ADC driver).
	ADC analog.PinADC
}

// Relay is a relay-switched supply. It is safe for concurrent use.
type Relay struct {
	pin     gpio.PinOut
	name    string
	on      gpio.Level // the level that closes the relay
	nominal physic.ElectricPotential
	adc     analog.PinADC

	mu sync.Mutex // serializes pin writes
}

var (
	_ power.Supply    = (*Relay)(nil)
	_ power.Nominaler = (*Relay)(nil)
)

// New returns a relay on pin. It does not drive the pin: the output stays
// as the bench left it until SetOutput or Halt.
func New(pin gpio.PinOut, o *Opts) (*Relay, error) {
	if pin == nil {
		return nil, ErrNoPin
	}
	var opt Opts
	if o != nil {
		opt = *o
	}
	if opt.Name == "" {
		opt.Name = "relay " + pin.String()
	}
	if opt.Nominal < 0 {
		return nil, fmt.Errorf("%s: nominal %v: %w", opt.Name, opt.Nominal, power.ErrRange)
	}
	return &Relay{pin: pin, name: opt.Name, on: gpio.Level(!opt.ActiveLow), nominal: opt.Nominal, adc: opt.ADC}, nil
}

// SetOutput implements power.Supply: it drives the pin to close (on) or
// open (off) the relay.
func (r *Relay) SetOutput(ctx context.Context, on bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: set output: %w", r.name, err)
	}
	l := r.on
	if !on {
		l = !l
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.pin.Out(l); err != nil {
		return fmt.Errorf("%s: set output %v: %w", r.name, on, err)
	}
	return nil
}

// SetVoltage implements power.Supply: a relay cannot set a voltage.
func (r *Relay) SetVoltage(_ context.Context, v physic.ElectricPotential) error {
	return fmt.Errorf("%s: set voltage %v: %w", r.name, v, power.ErrUnsupported)
}

// Measure implements power.Supply with the ADC, or fails with
// power.ErrUnsupported without one.
func (r *Relay) Measure(ctx context.Context) (physic.ElectricPotential, error) {
	if r.adc == nil {
		return 0, fmt.Errorf("%s: measure: %w (no ADC)", r.name, power.ErrUnsupported)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("%s: measure: %w", r.name, err)
	}
	s, err := r.adc.Read()
	if err != nil {
		return 0, fmt.Errorf("%s: measure with %s: %w", r.name, r.adc, err)
	}
	return s.V, nil
}

// Nominal implements power.Nominaler.
func (r *Relay) Nominal() physic.ElectricPotential { return r.nominal }

// Halt implements power.Supply: relay closed, DUT powered.
func (r *Relay) Halt() error { return r.SetOutput(context.Background(), true) }

// String implements power.Supply.
func (r *Relay) String() string { return r.name }
