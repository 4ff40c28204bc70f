package fault

import (
	"context"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/faketime"
	"github.com/poshil/poshil/harness/yamldoc"
)

func init() {
	Register("clock", "the DUT's clock is wrong: the DUT process runs with libfaketime's FAKETIME (and POSHIL_FAKETIME) set to `faketime` (\"@2023-06-15 12:00:00\", \"-400d\", \"+30y\"); a DUT already running is restarted with it. Expiry and effective dates are judged with that date; a clock the terminal knows is invalid must stop it trading (CLOCK_ERROR)",
		func() Fault { return &Clock{} })
}

// DUTClock is a DUTSide that can start the DUT process with a wrong
// clock. The runner's DUT side implements it; a bench without it cannot
// run the clock fault.
type DUTClock interface {
	// SetClock makes every DUT process started from now on run with the
	// FAKETIME value v ("" : the real clock) and restarts a DUT that is
	// running with another clock, waiting for its READY. In the bench's
	// safe state it only records v.
	SetClock(ctx context.Context, v string) error
}

// Clock sets the DUT's clock wrong, for any process DUT: libfaketime
// (LD_PRELOAD, FAKETIME) for a dynamically linked program, and
// POSHIL_FAKETIME with the same value for a program libfaketime cannot
// reach (Go, static binaries), which applies it itself. Armed at the
// scenario's start (no `when`), the DUT boots with it; armed later, the
// DUT is restarted with it. Clear gives the real clock back (a DUT still
// running is restarted again). In YAML:
//
//	faults:
//	  - clock: {faketime: "+30y"}
type Clock struct {
	Faketime string `yaml:"faketime"`
}

// Needs implements Needer.
func (f *Clock) Needs() []Part { return []Part{PartDUT} }

// Check validates the FAKETIME value.
func (f *Clock) Check(n *yaml.Node) error {
	if f.Faketime == "" {
		return yamldoc.At(n, "clock: faketime is required (e.g. \"@2023-06-15 12:00:00\", \"-400d\", \"+30y\")")
	}
	if _, err := faketime.Parse(f.Faketime); err != nil {
		return yamldoc.At(yamldoc.FindOr(n, "faketime"), "clock: %v", err)
	}
	return nil
}

// AtBoot is the FAKETIME value the DUT boots with when the fault is armed
// at the scenario's start: the runner starts the DUT with it at once,
// rather than booting it twice.
func (f *Clock) AtBoot() string { return f.Faketime }

// Inject implements Fault.
func (f *Clock) Inject(ctx context.Context, t Target) error {
	c, err := dutClock(t)
	if err != nil {
		return err
	}
	if err := c.SetClock(ctx, f.Faketime); err != nil {
		return fmt.Errorf("clock: %w", err)
	}
	return nil
}

// Clear implements Fault: the real clock again.
func (f *Clock) Clear(ctx context.Context, t Target) error {
	c, err := dutClock(t)
	if err != nil {
		return nil // nothing was set
	}
	if err := c.SetClock(ctx, ""); err != nil {
		return fmt.Errorf("clock: clear: %w", err)
	}
	return nil
}

func dutClock(t Target) (DUTClock, error) {
	d := t.DUT()
	c, ok := d.(DUTClock)
	if d == nil || !ok {
		return nil, fmt.Errorf("%w: the bench cannot set its DUT's clock", ErrUnsupported)
	}
	return c, nil
}
