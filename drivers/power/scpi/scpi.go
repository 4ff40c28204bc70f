// Package scpi is a power.Supply for a programmable bench supply spoken to
// in SCPI over a serial line (RS-232, USB-CDC, or a ser2net port): OUTP
// ON|OFF, VOLT <v>, MEAS:VOLT?, *IDN?, and SYST:ERR? after every setting so
// a refused command is an error here, not a silent no-op. Commands and
// replies end with "\n"; every exchange is bounded by its context and by
// Opts.Timeout. Package scpisim is an emulated instrument for tests.
//
// It is not a SCPI library: one channel, voltage only, no current limits,
// no IEEE 488.2 status registers, no GPIB/VXI-11/USBTMC transports.
package scpi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/serial"
)

// Opts configures a SCPI supply; the zero value is usable.
type Opts struct {
	// Name names the supply in errors; default "scpi <port>".
	Name string
	// Nominal is the voltage Halt restores. Zero: the set point the
	// instrument reports (VOLT?) when opened, which is only right if
	// the bench left it at nominal - set it in the bench file.
	Nominal physic.ElectricPotential
	// Limit refuses SetVoltage above it before anything is sent (a
	// guard for the DUT); zero leaves range checks to the instrument.
	Limit physic.ElectricPotential
	// Timeout bounds one exchange (command, reply, error check);
	// default 2s.
	Timeout time.Duration
	// HaltTimeout bounds Halt; default 5s.
	HaltTimeout time.Duration
}

// Supply is a SCPI supply on a serial Port. Exchanges are serialized; it
// is safe for concurrent use. It does not own the port: close it after.
type Supply struct {
	port                 serial.Port
	name, idn            string
	nominal, limit       physic.ElectricPotential
	timeout, haltTimeout time.Duration

	gate  chan struct{} // held for an exchange; guards buf and dirty
	buf   []byte
	dirty bool // an exchange failed: a late reply may be on the line
}

var (
	_ power.Supply    = (*Supply)(nil)
	_ power.Nominaler = (*Supply)(nil)
)

// Open talks to the supply on port: it clears the error queue (*CLS),
// reads the identity (*IDN?) and, without Opts.Nominal, the set point.
// It does not change the output.
func Open(ctx context.Context, port serial.Port, o *Opts) (*Supply, error) {
	var opt Opts
	if o != nil {
		opt = *o
	}
	if opt.Name == "" {
		opt.Name = "scpi " + port.Name()
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Second
	}
	if opt.HaltTimeout <= 0 {
		opt.HaltTimeout = 5 * time.Second
	}
	if opt.Nominal < 0 || opt.Limit < 0 || (opt.Limit > 0 && opt.Nominal > opt.Limit) {
		return nil, fmt.Errorf("%s: nominal %v, limit %v: %w", opt.Name, opt.Nominal, opt.Limit, power.ErrRange)
	}
	s := &Supply{
		port: port, name: opt.Name, nominal: opt.Nominal, limit: opt.Limit,
		timeout: opt.Timeout, haltTimeout: opt.HaltTimeout, gate: make(chan struct{}, 1),
	}
	if err := s.set(ctx, "*CLS"); err != nil {
		return nil, err
	}
	idn, err := s.exchange(ctx, "*IDN?", true)
	if err != nil {
		return nil, err
	}
	s.idn = idn
	if s.nominal == 0 {
		line, err := s.exchange(ctx, "VOLT?", true)
		if err != nil {
			return nil, err
		}
		if s.nominal, err = parseVolts(line); err != nil || s.nominal < 0 {
			return nil, fmt.Errorf("%s: VOLT?: %w (%q)", s.name, ErrProtocol, line)
		}
	}
	return s, nil
}

// Identity is the *IDN? reply, e.g. "RIGOL TECHNOLOGIES,DP832,DP8C1,00.01".
func (s *Supply) Identity() string { return s.idn }

// String implements power.Supply.
func (s *Supply) String() string { return s.name + " (" + s.idn + ")" }

// Nominal implements power.Nominaler.
func (s *Supply) Nominal() physic.ElectricPotential { return s.nominal }

// SetOutput implements power.Supply (OUTP ON|OFF).
func (s *Supply) SetOutput(ctx context.Context, on bool) error {
	if on {
		return s.set(ctx, "OUTP ON")
	}
	return s.set(ctx, "OUTP OFF")
}

// SetVoltage implements power.Supply (VOLT <v>, millivolt resolution).
func (s *Supply) SetVoltage(ctx context.Context, v physic.ElectricPotential) error {
	if v < 0 || (s.limit > 0 && v > s.limit) {
		return fmt.Errorf("%s: set voltage %v: %w (limit %v)", s.name, v, power.ErrRange, s.limit)
	}
	return s.set(ctx, "VOLT "+formatVolts(v))
}

// Measure implements power.Supply (MEAS:VOLT?).
func (s *Supply) Measure(ctx context.Context) (physic.ElectricPotential, error) {
	line, err := s.exchange(ctx, "MEAS:VOLT?", true)
	if err != nil {
		return 0, s.explain(ctx, err)
	}
	v, err := parseVolts(line)
	if err != nil {
		return 0, fmt.Errorf("%s: MEAS:VOLT?: %w", s.name, err)
	}
	return v, nil
}

// Halt implements power.Supply: VOLT nominal, then OUTP ON, bounded by
// Opts.HaltTimeout.
func (s *Supply) Halt() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.haltTimeout)
	defer cancel()
	if err := s.SetVoltage(ctx, s.nominal); err != nil {
		return err
	}
	return s.SetOutput(ctx, true)
}

// set sends a command that has no reply, then reads the error queue.
func (s *Supply) set(ctx context.Context, cmd string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("%s: %q: waiting for the line: %w", s.name, cmd, err)
	}
	defer s.unlock()
	if _, err := s.exchangeLocked(ctx, cmd, false); err != nil {
		return err
	}
	return s.errorsLocked(ctx, cmd)
}

// maxQueued bounds how many queued errors one check reads.
const maxQueued = 8

// errorsLocked reads SYST:ERR? until "0,..." and returns the entries as
// *InstrumentError, attributed to cmd.
func (s *Supply) errorsLocked(ctx context.Context, cmd string) error {
	var errs []error
	for range maxQueued {
		line, err := s.exchangeLocked(ctx, "SYST:ERR?", true)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		code, msg, err := parseError(line)
		if err != nil {
			s.dirty = true
			return errors.Join(append(errs, fmt.Errorf("%s: SYST:ERR?: %w", s.name, err))...)
		}
		if code == 0 {
			break
		}
		errs = append(errs, fmt.Errorf("%s: %w", s.name, &InstrumentError{Code: code, Msg: msg, Command: cmd}))
	}
	return errors.Join(errs...)
}

// explain adds the instrument's reason to a query that got no reply (a
// refused query leaves nothing to read, only an error in the queue).
func (s *Supply) explain(ctx context.Context, err error) error {
	if !errors.Is(err, serial.ErrTimeout) || ctx.Err() != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.lock(qctx) != nil {
		return err
	}
	defer s.unlock()
	if qerr := s.errorsLocked(qctx, "MEAS:VOLT?"); qerr != nil && errors.Is(qerr, ErrInstrument) {
		return errors.Join(err, qerr)
	}
	return err
}
