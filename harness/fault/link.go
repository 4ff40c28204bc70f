package fault

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/lineproxy"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Faults on the ECR serial line, through the line proxy the bench puts
// in it (fault.PartLine, a lineproxy.Impairer).
func init() {
	Register("line_cut", "the ECR serial line is cut both ways, as a pulled cable",
		func() Fault { return &LineCut{} })
	Register("bit_errors", "bits on the ECR line flip at a rate, as under EMI: {rate: 0.01, seed: 1, direction: both|to_dut|from_dut}",
		func() Fault { return &BitErrors{} })
	Register("line_delay", "every byte on the ECR line is held back: {delay: 50ms}",
		func() Fault { return &LineDelay{} })
}

// undoList is what one fault's injections changed, so Clear undoes
// exactly that, once, even after a failed or partial Inject.
type undoList struct {
	mu  sync.Mutex
	fns []func() error
}

func (u *undoList) push(fn func() error) {
	u.mu.Lock()
	u.fns = append(u.fns, fn)
	u.mu.Unlock()
}

// empty reports whether nothing is pushed (the fault is not in force).
func (u *undoList) empty() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.fns) == 0
}

// run undoes everything pushed, newest first, and forgets it.
func (u *undoList) run() error {
	u.mu.Lock()
	fns := u.fns
	u.fns = nil
	u.mu.Unlock()
	var errs []error
	for i := len(fns) - 1; i >= 0; i-- {
		errs = append(errs, fns[i]())
	}
	return errors.Join(errs...)
}

// undoFunc adapts a restore func that cannot fail.
func undoFunc(restore func()) func() error {
	return func() error { restore(); return nil }
}

// lineOf finds the bench's line proxy.
func lineOf(t Target) (lineproxy.Impairer, error) {
	l, ok := t.Part(PartLine).(lineproxy.Impairer)
	if !ok || l == nil {
		return nil, fmt.Errorf("%w: no ECR line proxy (part %s)", ErrUnsupported, PartLine)
	}
	return l, nil
}

// LineCut cuts the ECR line: bytes both ways are dropped until Clear.
//
//   - line_cut: {}
//     when: {ecr: DISPLAY, text: PROCESSING}
//     for: 2s
type LineCut struct {
	undo undoList
}

// Needs implements Needer.
func (f *LineCut) Needs() []Part { return []Part{PartLine} }

// Inject implements Fault.
func (f *LineCut) Inject(ctx context.Context, t Target) error {
	l, err := lineOf(t)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(l.Cut()))
	return nil
}

// Clear implements Fault.
func (f *LineCut) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// BitErrors flips bits on the ECR line, each with probability Rate (a bit
// error rate), from a generator seeded with Seed so a failing run can be
// replayed.
//
//   - bit_errors: {rate: 0.001, seed: 7, direction: to_dut}
type BitErrors struct {
	// Rate is the probability that each bit flips, above 0 and at most 1.
	Rate float64 `yaml:"rate"`
	// Seed seeds the generator (default 0).
	Seed int64 `yaml:"seed"`
	// Direction is to_dut, from_dut or both (default both).
	Direction string `yaml:"direction"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *BitErrors) Check(n *yaml.Node) error {
	if !(f.Rate > 0 && f.Rate <= 1) {
		return yamldoc.At(yamldoc.FindOr(n, "rate"), "bit_errors: rate %v: want a bit error rate above 0 and at most 1, e.g. 0.001", f.Rate)
	}
	if _, err := lineproxy.ParseDirection(f.Direction); err != nil {
		return yamldoc.At(yamldoc.FindOr(n, "direction"), "bit_errors: direction %q: want to_dut, from_dut or both", f.Direction)
	}
	return nil
}

// Needs implements Needer.
func (f *BitErrors) Needs() []Part { return []Part{PartLine} }

// Inject implements Fault.
func (f *BitErrors) Inject(ctx context.Context, t Target) error {
	l, err := lineOf(t)
	if err != nil {
		return err
	}
	dir, err := lineproxy.ParseDirection(f.Direction)
	if err != nil {
		return err
	}
	if f.Rate <= 0 {
		return fmt.Errorf("bit_errors: rate %v: %w", f.Rate, lineproxy.ErrConfig)
	}
	restore, err := l.BitErrors(dir, f.Rate, f.Seed)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(restore))
	return nil
}

// Clear implements Fault.
func (f *BitErrors) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// LineDelay holds every byte on the ECR line back for Delay, both ways.
//
//   - line_delay: {delay: 50ms}
type LineDelay struct {
	Delay time.Duration `yaml:"delay"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *LineDelay) Check(n *yaml.Node) error {
	if f.Delay <= 0 {
		return yamldoc.At(yamldoc.FindOr(n, "delay"), "line_delay: give a positive delay, e.g. {delay: 50ms}")
	}
	return nil
}

// Needs implements Needer.
func (f *LineDelay) Needs() []Part { return []Part{PartLine} }

// Inject implements Fault.
func (f *LineDelay) Inject(ctx context.Context, t Target) error {
	l, err := lineOf(t)
	if err != nil {
		return err
	}
	restore, err := l.Delay(f.Delay)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(restore))
	return nil
}

// Clear implements Fault: bytes already held pass when their delay ends.
func (f *LineDelay) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// Drop implements Dropper: the delay is taken out, then the bytes the
// proxy still holds are discarded (lineproxy.Proxy.Flush), never
// delivered after the scenario.
func (f *LineDelay) Drop(ctx context.Context, t Target) error {
	if f.undo.empty() {
		return nil
	}
	l, err := lineOf(t)
	if err != nil {
		return err
	}
	err = f.undo.run()
	l.Flush()
	t.Note("ecr line: held bytes discarded")
	return err
}

// MaxDelay implements Delayer.
func (f *LineDelay) MaxDelay() time.Duration { return f.Delay }
