// Package power is the bench's supply for the DUT: one small interface,
// Supply, that power faults (sag, brownout, cut) act on, with voltages as
// periph.io units (physic.ElectricPotential). Implementations live in
// sub-packages: relay (an on/off relay on a periph.io GPIO pin, optional
// ADC read-back), scpi (a SCPI bench supply over a serial line; scpisim is an
// emulated one) and emulated (the emulated bench's supply, whose state the
// reference terminal reads through periph.io pins, see emupin).
//
// It is not a general instrument library: no current limits, no
// multi-channel supplies, no sequencing. It holds what a payment-terminal
// test needs: power on/off, a settable voltage, a read-back.
package power

import (
	"context"
	"errors"

	"periph.io/x/conn/v3/physic"
)

// Supply is a power supply feeding the DUT.
//
// Every method that talks to hardware honours ctx and never blocks past it.
type Supply interface {
	// SetOutput switches the output on or off. Switching to the state the
	// output is already in is not an error.
	SetOutput(ctx context.Context, on bool) error
	// SetVoltage sets the output voltage (the set point; the output state
	// is unchanged). Supplies that cannot set a voltage (a relay) return
	// an error wrapping ErrUnsupported; a value outside the supply's range
	// returns an error wrapping ErrRange.
	SetVoltage(ctx context.Context, v physic.ElectricPotential) error
	// Measure reads back the voltage at the output: about the set point
	// when the output is on, about 0V when it is off. Supplies without a
	// read-back return an error wrapping ErrUnsupported.
	Measure(ctx context.Context) (physic.ElectricPotential, error)
	// Halt puts the supply in the safe state, following periph.io's
	// conn.Resource idiom: output ON at the nominal voltage.
	//
	// For a DUT supply "safe" is not "off": the bench's safe state between
	// scenarios (and after an abort) is power on and nominal, so the DUT
	// boots, runs its power-fail recovery and the next scenario starts
	// from a known state. Leaving it off would hide the DUT and whatever a
	// cut left behind from everything that follows. Halt has no context;
	// each implementation bounds it with its own timeout.
	Halt() error
	// String names the supply for errors and timelines, e.g.
	// "scpi /dev/ttyUSB0 (RIGOL DP832)".
	String() string
}

// Nominaler is implemented by supplies that know their nominal voltage
// (the one Halt restores). Faults that change the voltage restore this
// value on Clear when the scenario does not name one.
type Nominaler interface {
	Nominal() physic.ElectricPotential
}

// Errors callers can test with errors.Is. Implementations wrap them with
// the supply's name.
var (
	// ErrUnsupported reports an operation the supply cannot do, e.g.
	// SetVoltage on a relay or Measure without a read-back.
	ErrUnsupported = errors.New("power: not supported by this supply")
	// ErrRange reports a voltage outside what the supply (or its
	// configured limit) allows.
	ErrRange = errors.New("power: voltage out of range")
	// ErrBadVoltage reports text that is not a voltage such as "4.2V" or
	// "3300mV".
	ErrBadVoltage = errors.New("power: bad voltage")
)
