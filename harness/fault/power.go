package fault

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/harness/yamldoc"
)

func init() {
	Register("sag", "the supply drops to `to` (e.g. 3.9V) until cleared, then returns to nominal; terminal must report LOW_POWER and abort",
		func() Fault { return &Sag{} })
	Register("brownout", "the supply follows a profile of {to, hold} steps, or ramps from..to over ramp in steps; cleared: back to nominal",
		func() Fault { return &Brownout{} })
	Register("power_cut", "the supply output goes off until cleared, then on (the DUT boots); terminal must recover: reversal sent, POWER_FAIL_RECOVERED",
		func() Fault { return &PowerCut{} })
}

// PartVoltage is a supply that sets its voltage (the emulated one, a SCPI
// supply), which sag and brownout need besides PartSupply; a relay only
// switches, so a bench with one lacks it and such a scenario is INVALID
// there before it runs. Should one run anyway (a rig made by hand), the
// relay's power.ErrUnsupported is this package's ErrUnsupported.
const PartVoltage Part = "voltage"

// ErrNoNominal is returned when a power fault cannot tell which voltage
// to restore: no nominal in the scenario, none known to the supply, and
// the read-back is 0V (output off) or unavailable.
var ErrNoNominal = errors.New("cannot tell the supply's nominal voltage")

// powerSupply finds the bench's supply.
func powerSupply(t Target) (power.Supply, error) {
	s, ok := t.Part(PartSupply).(power.Supply)
	if !ok {
		return nil, fmt.Errorf("%w: the bench has no controllable supply", ErrUnsupported)
	}
	return s, nil
}

// powerUnsupported marks a supply's power.ErrUnsupported (a relay asked
// for a voltage) as this package's ErrUnsupported too, so the runner
// classes it as a bench that cannot do the fault.
func powerUnsupported(err error) error {
	if errors.Is(err, power.ErrUnsupported) && !errors.Is(err, ErrUnsupported) {
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	return err
}

// powerRestore is the voltage a fault returns to on Clear: the scenario's
// nominal, else the supply's (power.Nominaler), else what it measures now.
func powerRestore(ctx context.Context, s power.Supply, nominal power.Voltage) (physic.ElectricPotential, error) {
	if nominal > 0 {
		return nominal.Potential(), nil
	}
	if n, ok := s.(power.Nominaler); ok && n.Nominal() > 0 {
		return n.Nominal(), nil
	}
	v, err := s.Measure(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: %w (give nominal: in the scenario): %w", s, ErrNoNominal, err)
	}
	if v <= 0 {
		return 0, fmt.Errorf("%s: %w: it reads %v (give nominal: in the scenario)", s, ErrNoNominal, v)
	}
	return v, nil
}

// Sag drops the supply to To; Clear sets it back to the nominal voltage
// (Nominal if given, else the supply's own, else the voltage measured
// just before the sag). In YAML:
//
//	faults:
//	  - sag: {to: 3.9V}     # add nominal: 4.2V to name the restore level
//	    when: {mti: "0200"}
//	    for: 500ms
type Sag struct {
	To      power.Voltage `yaml:"to"`
	Nominal power.Voltage `yaml:"nominal"`

	mu      sync.Mutex
	restore physic.ElectricPotential
	touched bool // the supply may be off nominal; Clear must restore
}

// Needs implements Needer.
func (f *Sag) Needs() []Part { return []Part{PartSupply, PartVoltage} }

// Check validates the voltages: to above 0 V and at most 60 V, nominal
// (if given) likewise and above to.
func (f *Sag) Check(n *yaml.Node) error {
	switch {
	case f.To <= 0:
		return yamldoc.At(yamldoc.FindOr(n, "to"), "sag: to is required and above 0V, e.g. to: 3.9V (for 0V use power_cut)")
	case f.To > maxSupplyVoltage:
		return yamldoc.At(yamldoc.FindOr(n, "to"), "sag: to %v is above %v, more than a terminal's supply can be", f.To, maxSupplyVoltage)
	}
	if err := checkNominal(n, "sag", f.Nominal); err != nil {
		return err
	}
	if f.Nominal > 0 && f.To >= f.Nominal {
		return yamldoc.At(yamldoc.FindOr(n, "to"), "sag: to %v is not below the nominal %v: that is no sag", f.To, f.Nominal)
	}
	return nil
}

// checkNominal: a nominal voltage, if given, is above 0 V and at most
// 60 V.
func checkNominal(n *yaml.Node, name string, v power.Voltage) error {
	if given(n, "nominal") && (v <= 0 || v > maxSupplyVoltage) {
		return yamldoc.At(yamldoc.FindOr(n, "nominal"), "%s: nominal %v: want above 0V and at most %v", name, v, maxSupplyVoltage)
	}
	return nil
}

// Inject implements Fault.
func (f *Sag) Inject(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.To <= 0 {
		return fmt.Errorf("sag: to must be above 0V, got %v", f.To)
	}
	s, err := powerSupply(t)
	if err != nil {
		return err
	}
	if !f.touched { // a second Inject must not take the sag for nominal
		if f.restore, err = powerRestore(ctx, s, f.Nominal); err != nil {
			return fmt.Errorf("sag: %w", err)
		}
	}
	f.touched = true
	if err := s.SetVoltage(ctx, f.To.Potential()); err != nil {
		f.touched = !errors.Is(err, power.ErrUnsupported) // refused: nothing to restore
		return powerUnsupported(fmt.Errorf("sag to %v: %w", f.To, err))
	}
	t.Note("supply %s: %v (sag; restores %v)", s, f.To, power.Voltage(f.restore))
	return nil
}

// Clear implements Fault.
func (f *Sag) Clear(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return powerClear(ctx, t, "sag", &f.touched, f.restore)
}

// powerClear sets the supply back to restore if *touched, and clears
// *touched once that worked.
func powerClear(ctx context.Context, t Target, name string, touched *bool, restore physic.ElectricPotential) error {
	if !*touched {
		return nil
	}
	s, err := powerSupply(t)
	if err != nil {
		return err
	}
	if err := s.SetVoltage(ctx, restore); err != nil {
		return fmt.Errorf("%s: restore %v: %w", name, power.Voltage(restore), err)
	}
	*touched = false
	t.Note("supply %s: %v (%s cleared)", s, power.Voltage(restore), name)
	return nil
}

// PowerCut switches the supply's output off; Clear switches it on again.
// On the emulated bench the runner kills the DUT process when the output
// goes off and boots it (and waits for READY) when it comes back, from the
// supply's change hook: Clear returns once the DUT is up. In YAML:
//
//	faults:
//	  - power_cut: {}
//	    when: {mti: "0100"}
//	    for: 200ms
type PowerCut struct {
	mu      sync.Mutex
	touched bool
}

// holdsUntilCleared implements holder: the DUT is off until Clear.
func (f *PowerCut) holdsUntilCleared() {}

// Needs implements Needer.
func (f *PowerCut) Needs() []Part { return []Part{PartSupply} }

// Inject implements Fault.
func (f *PowerCut) Inject(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := powerSupply(t)
	if err != nil {
		return err
	}
	f.touched = true
	if err := s.SetOutput(ctx, false); err != nil {
		return fmt.Errorf("power_cut: %w", err)
	}
	t.Note("supply %s: output off", s)
	return nil
}

// Clear implements Fault.
func (f *PowerCut) Clear(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.touched {
		return nil
	}
	s, err := powerSupply(t)
	if err != nil {
		return err
	}
	if err := s.SetOutput(ctx, true); err != nil {
		return fmt.Errorf("power_cut: restore: %w", err)
	}
	f.touched = false
	t.Note("supply %s: output on", s)
	return nil
}

// Brownout walks the supply through a voltage profile, in one of two
// forms. A profile of steps, each set at once and held:
//
//	faults:
//	  - brownout:
//	      profile:
//	        - {to: 3.9V, hold: 200ms}
//	        - {to: 3.5V, hold: 100ms}
//	        - {to: 4.2V}   # back up; the last hold does not matter
//
// or a linear ramp from From (default: the nominal voltage) to To over
// Ramp, in Steps equal steps (default 10), the last landing on To at Ramp:
//
//	faults:
//	  - brownout: {to: 3.3V, ramp: 1s, steps: 20}
//
// The first voltage is set by Inject (so the fault acts at its trigger);
// the rest follow from a goroutine on a fixed schedule from that moment
// (no drift: step k is due at its offset, however long earlier steps took),
// which stops when Inject's ctx ends or on Clear. After the last step the
// supply stays at the last voltage until Clear; Clear stops the walk and
// sets the nominal voltage (as Sag does), and reports a step that failed.
type Brownout struct {
	Profile []BrownoutStep `yaml:"profile"`
	From    power.Voltage  `yaml:"from"`
	To      power.Voltage  `yaml:"to"`
	Ramp    time.Duration  `yaml:"ramp"`
	Steps   int            `yaml:"steps"`
	Nominal power.Voltage  `yaml:"nominal"`

	mu      sync.Mutex
	restore physic.ElectricPotential
	touched bool
	cancel  context.CancelFunc // stops the walk
	done    chan struct{}      // closed when the walk has stopped
	walkErr error              // set by the walk before done closes
}

// BrownoutStep is one step of a brownout profile: set To, then hold it.
type BrownoutStep struct {
	To   power.Voltage `yaml:"to"`
	Hold time.Duration `yaml:"hold"`
}

// brownoutMaxSteps bounds a ramp's steps (and a profile's length).
const brownoutMaxSteps = 1000

// MaxDelay implements Delayer: how long the walk lasts (a profile's
// holds, or the ramp), the supply off nominal meanwhile.
func (f *Brownout) MaxDelay() time.Duration {
	if len(f.Profile) > 0 {
		var d time.Duration
		for _, s := range f.Profile[:len(f.Profile)-1] { // the last hold does not matter
			d += max(s.Hold, 0)
		}
		return d
	}
	return max(f.Ramp, 0)
}

// Needs implements Needer.
func (f *Brownout) Needs() []Part { return []Part{PartSupply, PartVoltage} }

// Check validates the profile or the ramp, at the offending value.
func (f *Brownout) Check(n *yaml.Node) error {
	if key, step, err := f.problem(); err != nil {
		at := n
		if step >= 0 {
			at = index(yamldoc.FindOr(n, "profile"), step)
		}
		if key != "" {
			at = yamldoc.FindOr(at, key)
		}
		return yamldoc.At(at, "%v", err)
	}
	if given(n, "steps") && f.Steps < 1 {
		return yamldoc.At(yamldoc.FindOr(n, "steps"), "brownout: steps %d: want 1..%d (leave steps out for 10)", f.Steps, brownoutMaxSteps)
	}
	return checkNominal(n, "brownout", f.Nominal)
}

func (f *Brownout) validate() error {
	_, _, err := f.problem()
	return err
}

// problem finds what is wrong with the settings: the key it is at, and
// the profile step (-1: none).
func (f *Brownout) problem() (key string, step int, err error) {
	ramp := f.To != 0 || f.From != 0 || f.Ramp != 0 || f.Steps != 0
	volts := func(v power.Voltage) bool { return v > 0 && v <= maxSupplyVoltage }
	switch {
	case len(f.Profile) > 0 && ramp:
		return "", -1, errors.New("brownout: give a profile or a ramp (from, to, ramp, steps), not both")
	case len(f.Profile) > brownoutMaxSteps:
		return "profile", -1, fmt.Errorf("brownout: profile has %d steps, at most %d", len(f.Profile), brownoutMaxSteps)
	case len(f.Profile) > 0:
		for i, s := range f.Profile {
			switch last := i == len(f.Profile)-1; {
			case !volts(s.To):
				return "to", i, fmt.Errorf("brownout: profile step %d: to %v: want above 0V and at most %v", i+1, s.To, maxSupplyVoltage)
			case s.Hold < 0 || s.Hold == 0 && !last:
				return "hold", i, fmt.Errorf("brownout: profile step %d: hold %v: want a time above 0 (only the last step's hold may be left out)", i+1, s.Hold)
			}
		}
	case !ramp:
		return "", -1, errors.New("brownout: give a profile ([{to, hold}, ...]) or a ramp ({to, ramp, steps})")
	case !volts(f.To):
		return "to", -1, fmt.Errorf("brownout: a ramp needs to above 0V and at most %v, got %v", maxSupplyVoltage, f.To)
	case f.From != 0 && !volts(f.From):
		return "from", -1, fmt.Errorf("brownout: from %v: want above 0V and at most %v", f.From, maxSupplyVoltage)
	case f.From != 0 && f.To >= f.From:
		return "to", -1, fmt.Errorf("brownout: to %v is not below from %v: a brownout ramps down", f.To, f.From)
	case f.From == 0 && f.Nominal > 0 && f.To >= f.Nominal:
		return "to", -1, fmt.Errorf("brownout: to %v is not below the nominal %v it ramps from: a brownout ramps down", f.To, f.Nominal)
	case f.Ramp <= 0:
		return "ramp", -1, fmt.Errorf("brownout: a ramp needs ramp above 0, got %v", f.Ramp)
	case f.Steps < 0 || f.Steps > brownoutMaxSteps:
		return "steps", -1, fmt.Errorf("brownout: steps must be 1..%d", brownoutMaxSteps)
	}
	if f.Nominal < 0 {
		return "nominal", -1, errors.New("brownout: nominal must not be negative")
	}
	return "", -1, nil
}

// brownoutPoint is one voltage due at an offset from the start.
type brownoutPoint struct {
	at time.Duration
	v  physic.ElectricPotential
}

// plan lists the voltages and when each is due; restore is where a ramp
// without From starts.
func (f *Brownout) plan(restore physic.ElectricPotential) []brownoutPoint {
	if len(f.Profile) > 0 {
		pts := make([]brownoutPoint, len(f.Profile))
		var at time.Duration
		for i, s := range f.Profile {
			pts[i] = brownoutPoint{at: at, v: s.To.Potential()}
			at += s.Hold
		}
		return pts
	}
	from, to, n := restore, f.To.Potential(), f.Steps
	if f.From > 0 {
		from = f.From.Potential()
	}
	if n == 0 {
		n = 10
	}
	pts := make([]brownoutPoint, n+1)
	for k := range n + 1 {
		pts[k] = brownoutPoint{
			at: time.Duration(int64(f.Ramp) * int64(k) / int64(n)),
			v:  from + (to-from)*physic.ElectricPotential(k)/physic.ElectricPotential(n),
		}
	}
	return pts
}

// Inject implements Fault.
func (f *Brownout) Inject(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.validate(); err != nil {
		return err
	}
	if f.done != nil {
		return errors.New("brownout: already running; clear it first")
	}
	s, err := powerSupply(t)
	if err != nil {
		return err
	}
	if !f.touched {
		if f.restore, err = powerRestore(ctx, s, f.Nominal); err != nil {
			return fmt.Errorf("brownout: %w", err)
		}
	}
	pts := f.plan(f.restore)
	start := time.Now()
	f.touched = true
	if err := s.SetVoltage(ctx, pts[0].v); err != nil {
		f.touched = !errors.Is(err, power.ErrUnsupported) // refused: nothing to restore
		return powerUnsupported(fmt.Errorf("brownout: step 1 (%v): %w", power.Voltage(pts[0].v), err))
	}
	t.Note("supply %s: brownout, %d steps over %v, from %v (restores %v)", s, len(pts), pts[len(pts)-1].at, power.Voltage(pts[0].v), power.Voltage(f.restore))
	if len(pts) == 1 {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	f.cancel, f.done, f.walkErr = cancel, make(chan struct{}), nil
	go f.walk(wctx, t, s, start, pts)
	return nil
}

// walk sets pts[1:] each at its time; it records the first failure.
func (f *Brownout) walk(ctx context.Context, t Target, s power.Supply, start time.Time, pts []brownoutPoint) {
	defer close(f.done)
	defer func() {
		if v := recover(); v != nil {
			f.walkErr = fmt.Errorf("brownout: %w: walk: %v", ErrPanic, v)
			t.Note("%v\n%s", f.walkErr, debug.Stack())
		}
	}()
	for i, p := range pts[1:] {
		due := time.NewTimer(time.Until(start.Add(p.at)))
		select {
		case <-ctx.Done():
			due.Stop()
			return
		case <-due.C:
		}
		if err := s.SetVoltage(ctx, p.v); err != nil {
			if ctx.Err() != nil {
				return // stopped by Clear or the scenario's end
			}
			f.walkErr = fmt.Errorf("brownout: step %d (%v): %w", i+2, power.Voltage(p.v), err)
			t.Note("%v", f.walkErr)
			return
		}
	}
}

// Clear implements Fault.
func (f *Brownout) Clear(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var walkErr error
	if f.done != nil {
		f.cancel()
		select {
		case <-f.done:
		case <-ctx.Done():
			return fmt.Errorf("brownout: waiting for the ramp to stop: %w", ctx.Err())
		}
		walkErr, f.done, f.walkErr = f.walkErr, nil, nil
	}
	return errors.Join(walkErr, powerClear(ctx, t, "brownout", &f.touched, f.restore))
}
