package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/emulated"
	"github.com/poshil/poshil/drivers/power/relay"
	"github.com/poshil/poshil/drivers/power/scpi"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/verdict"
)

// openSupply opens the bench's power part: the emulated supply, its
// state file in the work folder, or a real one (OpenSupply).
func (r *Rig) openSupply(ctx context.Context, pw *bench.Power) (Supply, error) {
	if pw.Supply == bench.SupplyEmulated {
		s, err := emulated.New(filepath.Join(r.workdir, "supply.state"), &emulated.Opts{Nominal: pw.Nominal.Potential()})
		if err != nil {
			return nil, verdict.Bench("supply", err)
		}
		r.supply = s
		return s, nil
	}
	s, err := OpenSupply(ctx, pw, r.opts.Pin)
	if err != nil {
		return nil, err
	}
	r.supply = s
	return s, nil
}

// PinFunc finds a GPIO pin by its name on the host (a relay's power.pin).
type PinFunc func(name string) (gpio.PinOut, error)

// ErrNoPin reports a relay pin the host's GPIO drivers do not have.
var ErrNoPin = errors.New("no such GPIO pin on this host")

// HostPin finds a pin through periph.io's host drivers (host.Init, then
// gpioreg.ByName). A name the host does not have is ErrNoPin, naming it
// and the drivers that loaded.
func HostPin(name string) (gpio.PinOut, error) {
	st, err := host.Init()
	if err != nil {
		return nil, fmt.Errorf("pin %s: periph.io host drivers: %w", name, err)
	}
	if p := gpioreg.ByName(name); p != nil {
		return p, nil
	}
	var loaded []string
	for _, d := range st.Loaded {
		loaded = append(loaded, d.String())
	}
	drivers := strings.Join(loaded, ", ")
	if drivers == "" {
		drivers = "none"
	}
	return nil, fmt.Errorf("pin %s: %w (periph.io host drivers loaded: %s)", name, ErrNoPin, drivers)
}

// supplyHalt bounds the safe state of a real supply, change callbacks
// included (a DUT reboot), as the emulated supply's.
const supplyHalt = 30 * time.Second

// OpenSupply opens the real power part p names (supply relay or scpi) as
// a Supply for a rig and puts it in its safe state, output on at nominal.
// pin finds a relay's pin (nil: HostPin). Failures are bench errors
// naming the part. Close releases what it opened (a SCPI supply's line).
func OpenSupply(ctx context.Context, p *bench.Power, pin PinFunc) (*RealSupply, error) {
	var s *RealSupply
	switch p.Supply {
	case bench.SupplyRelay:
		if pin == nil {
			pin = HostPin
		}
		out, err := pin(p.Pin)
		if err != nil {
			return nil, verdict.Bench("supply relay "+p.Pin, err)
		}
		if out == nil {
			return nil, verdict.Bench("supply relay "+p.Pin, fmt.Errorf("pin %s: %w", p.Pin, ErrNoPin))
		}
		r, err := relay.New(out, &relay.Opts{Name: "relay " + p.Pin, ActiveLow: p.ActiveLow, Nominal: p.Nominal.Potential()})
		if err != nil {
			return nil, verdict.Bench("supply relay "+p.Pin, err)
		}
		s = newRealSupply(r, p.Nominal.Potential(), nil)
	case bench.SupplySCPI:
		octx, cancel := context.WithTimeout(ctx, openBound)
		defer cancel()
		port, err := serial.OpenAddr(octx, p.Port, serial.Options{Baud: p.Baud})
		if err != nil {
			return nil, verdict.Bench("supply scpi "+p.Port, err)
		}
		sc, err := scpi.Open(octx, port, &scpi.Opts{Name: "scpi " + p.Port, Nominal: p.Nominal.Potential(), Limit: p.Limit.Potential(), Timeout: p.Timeout})
		if err != nil {
			port.Close()
			return nil, verdict.Bench("supply scpi "+p.Port, err)
		}
		s = newRealSupply(sc, sc.Nominal(), port.Close)
	default:
		return nil, verdict.Bench("supply", fmt.Errorf("supply %q is not a real power part (relay or scpi)", p.Supply))
	}
	if err := s.Halt(); err != nil {
		s.Close()
		return nil, verdict.Bench("supply "+s.String(), fmt.Errorf("safe state (output on at %v): %w", p.Nominal, err))
	}
	return s, nil
}

// RealSupply is a real power part (a relay, a SCPI supply) as a rig drives
// it: the power.Supply itself, which faults set, and the change callbacks
// the emulated supply has, so a DUT process on such a bench is killed when
// the output goes off and booted when it comes back (a DUT on the bench's
// own power dies and boots by itself; the rig then waits for its READY).
// It has no state file. It is safe for concurrent use; changes are
// serialized, each announced before the next starts.
type RealSupply struct {
	power.Supply
	nominal physic.ElectricPotential
	close   func() error
	changes *emulated.Changes
}

var _ Supply = (*RealSupply)(nil)

// newRealSupply wraps s, whose output and set point are not known yet
// (Halt makes them so); closer, if set, releases its line.
func newRealSupply(s power.Supply, nominal physic.ElectricPotential, closer func() error) *RealSupply {
	return &RealSupply{Supply: s, nominal: nominal, close: closer, changes: emulated.NewChanges(emulated.State{})}
}

// Path implements Supply: a real supply has no state file ({supply} is
// empty).
func (s *RealSupply) Path() string { return "" }

// Nominal implements power.Nominaler: the bench's nominal voltage.
func (s *RealSupply) Nominal() physic.ElectricPotential { return s.nominal }

// State is the output and set point as last set through s.
func (s *RealSupply) State() emulated.State { return s.changes.State() }

// OnChange implements Supply: f runs after every change, in the order
// added, in the goroutine that made it, under its context.
func (s *RealSupply) OnChange(f emulated.ChangeFunc) (remove func()) { return s.changes.Add(f) }

// SetOutput implements power.Supply: the part switches, then the change
// is announced.
func (s *RealSupply) SetOutput(ctx context.Context, on bool) error {
	return s.change(ctx, "set output", func(st *emulated.State) error {
		if err := s.Supply.SetOutput(ctx, on); err != nil {
			return err
		}
		st.Output = on
		return nil
	})
}

// SetVoltage implements power.Supply. A relay refuses it with
// power.ErrUnsupported, which the power faults report as a bench that
// cannot do them.
func (s *RealSupply) SetVoltage(ctx context.Context, v physic.ElectricPotential) error {
	return s.change(ctx, "set voltage", func(st *emulated.State) error {
		if err := s.Supply.SetVoltage(ctx, v); err != nil {
			return err
		}
		st.Voltage = v
		return nil
	})
}

// Halt implements power.Supply: the part's own safe state (a SCPI
// supply's nominal voltage, then output on; a relay closed), announced as
// output on at nominal, bounded by supplyHalt.
func (s *RealSupply) Halt() error {
	ctx, cancel := context.WithTimeout(context.Background(), supplyHalt)
	defer cancel()
	return s.change(ctx, "halt", func(st *emulated.State) error {
		if err := s.Supply.Halt(); err != nil {
			return err
		}
		st.Output, st.Voltage = true, s.nominal
		return nil
	})
}

// Close releases what OpenSupply opened; the part stays in the state it
// is in (the safe state, after a scenario).
func (s *RealSupply) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// change runs act through the change log: if the state it leaves
// differs, the callbacks hear of it. The part's errors are returned as
// they are (power.ErrUnsupported stays visible).
func (s *RealSupply) change(ctx context.Context, op string, act func(*emulated.State) error) error {
	return s.changes.Apply(ctx, s.String()+": "+op, act, nil)
}
