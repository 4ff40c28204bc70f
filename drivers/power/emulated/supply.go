// Package emulated is the emulated bench's power supply: a power.Supply
// that holds its state in memory and publishes it to a state file (format
// in state.go), which the DUT - the reference terminal, another process -
// reads through periph.io pins (package emupin) as firmware reads an ADC
// and a power-good line. OnChange lets the harness act as the physics
// would: kill the DUT process when the output goes off, boot it when the
// output comes back.
//
// It is not a model of a real supply: changes are instant, there is no
// current, no ripple, no limit other than Opts.Max.
package emulated

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
)

// Opts configures an emulated supply; the zero value is usable.
type Opts struct {
	// Name names the supply in errors; default "emulated supply".
	Name string
	// Nominal is the voltage at start and after Halt; default 4.2V (a
	// battery-powered terminal's full charge).
	Nominal physic.ElectricPotential
	// Max is the highest settable voltage; default 30V.
	Max physic.ElectricPotential
	// HaltTimeout bounds Halt, change callbacks included (a DUT reboot);
	// default 30s.
	HaltTimeout time.Duration
}

// Change is one change of the supply, passed to OnChange callbacks.
type Change struct {
	From, To State
}

// ChangeFunc reacts to a change. It runs after the state file holds the
// new state, in the caller's goroutine, under ctx of the call that made
// the change (for Halt, a context bounded by Opts.HaltTimeout). Its error
// is returned by that call; the change itself stands.
//
// A ChangeFunc must not call the supply's Set methods or Halt: they wait
// for the change in progress and fail when ctx ends.
type ChangeFunc func(ctx context.Context, c Change) error

// Supply is the emulated supply. It is safe for concurrent use; changes
// are serialized, each one written to the state file and announced to the
// callbacks before the next starts.
type Supply struct {
	path, name  string
	nominal     physic.ElectricPotential
	max         physic.ElectricPotential
	haltTimeout time.Duration
	changes     *Changes
}

var (
	_ power.Supply    = (*Supply)(nil)
	_ power.Nominaler = (*Supply)(nil)
)

// New starts an emulated supply publishing to the state file at path
// (created or replaced; its directory must exist), output on at the
// nominal voltage.
func New(path string, o *Opts) (*Supply, error) {
	var opt Opts
	if o != nil {
		opt = *o
	}
	if opt.Name == "" {
		opt.Name = "emulated supply"
	}
	if opt.Nominal == 0 {
		opt.Nominal = 4200 * physic.MilliVolt
	}
	if opt.Max == 0 {
		opt.Max = 30 * physic.Volt
	}
	if opt.HaltTimeout <= 0 {
		opt.HaltTimeout = 30 * time.Second
	}
	if opt.Max < 0 || opt.Max > MaxMillivolts*physic.MilliVolt {
		return nil, fmt.Errorf("%s: max %v: %w", opt.Name, opt.Max, power.ErrRange)
	}
	if opt.Nominal < 0 || opt.Nominal > opt.Max {
		return nil, fmt.Errorf("%s: nominal %v: %w (0..%v)", opt.Name, opt.Nominal, power.ErrRange, opt.Max)
	}
	s := &Supply{
		path: path, name: opt.Name, nominal: roundMV(opt.Nominal), max: opt.Max,
		haltTimeout: opt.HaltTimeout,
		changes:     NewChanges(State{Output: true, Voltage: roundMV(opt.Nominal), Seq: 1}),
	}
	if err := WriteState(path, s.changes.State()); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return s, nil
}

// roundMV rounds v to the nearest millivolt, the state file's resolution.
func roundMV(v physic.ElectricPotential) physic.ElectricPotential {
	return (v + physic.MilliVolt/2) / physic.MilliVolt * physic.MilliVolt
}

// Path is the state file, for the DUT's command line.
func (s *Supply) Path() string { return s.path }

// String implements power.Supply.
func (s *Supply) String() string { return s.name + " (" + s.path + ")" }

// Nominal implements power.Nominaler.
func (s *Supply) Nominal() physic.ElectricPotential { return s.nominal }

// State is the current state.
func (s *Supply) State() State { return s.changes.State() }

// OnChange adds f to the callbacks run after every change, in the order
// added; remove takes exactly this f off again.
func (s *Supply) OnChange(f ChangeFunc) (remove func()) { return s.changes.Add(f) }

// SetOutput implements power.Supply.
func (s *Supply) SetOutput(ctx context.Context, on bool) error {
	return s.change(ctx, "set output", func(st *State) error {
		st.Output = on
		return nil
	})
}

// SetVoltage implements power.Supply; the set point is rounded to the
// millivolt.
func (s *Supply) SetVoltage(ctx context.Context, v physic.ElectricPotential) error {
	return s.change(ctx, "set voltage", func(st *State) error {
		if v < 0 || v > s.max {
			return fmt.Errorf("%v: %w (0..%v)", v, power.ErrRange, s.max)
		}
		st.Voltage = roundMV(v)
		return nil
	})
}

// Measure implements power.Supply: the rail, exactly (no noise).
func (s *Supply) Measure(ctx context.Context) (physic.ElectricPotential, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("%s: measure: %w", s.name, err)
	}
	return s.State().Rail(), nil
}

// Halt implements power.Supply: nominal voltage, then output on (the DUT
// boots at the right voltage), bounded by Opts.HaltTimeout.
func (s *Supply) Halt() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.haltTimeout)
	defer cancel()
	return errors.Join(s.SetVoltage(ctx, s.nominal), s.SetOutput(ctx, true))
}

// Close removes the state file; a DUT reading it afterwards gets an error
// (no supply), not a stale state. The Supply must not be used afterwards.
func (s *Supply) Close() error {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// change applies edit through the change log; a changed state is written
// to the file before the callbacks hear of it.
func (s *Supply) change(ctx context.Context, op string, edit func(*State) error) error {
	what := s.name + ": " + op
	return s.changes.Apply(ctx, what, func(st *State) error {
		if err := edit(st); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}, func(st State) error {
		if err := WriteState(s.path, st); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}
