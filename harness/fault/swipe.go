package fault

import (
	"context"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/magstripe"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Operator faults on the swipe: the card is sound, the cashier's hand is
// not. They act on the MSR's raw track bits (magstripe.Damage), so a raw
// reader hands them to the firmware as they are and an ASCII reader
// decodes them as its head would.

func init() {
	Register("swipe_backwards", "the card is swiped the wrong way: each track's bits reach the head in reverse order; the terminal must read the card backwards (the right PAN) or report CARD_READ_ERROR, never another PAN",
		func() Fault { return &SwipeBackwards{} })
	Register("swipe_too_fast", "the card is swiped too fast: the head misses bits (lost: 1-64, default 1) of track 1|2 (default both), at a place picked by seed; always a loss parity or LRC reveals: CARD_READ_ERROR, never another PAN",
		func() Fault { return &SwipeTooFast{} })
	Register("swipe_twice", "the card is swiped twice: each swipe reaches the terminal a second time gap later (default 50ms, at most 5s); one transaction, one debit",
		func() Fault { return &SwipeTwice{} })
}

// SwipeBackwards reverses every track's bit stream. In YAML:
//
//   - swipe_backwards:
type SwipeBackwards struct{ msrDamage }

// Needs implements Needer.
func (f *SwipeBackwards) Needs() []Part { return []Part{PartMSR} }

// Inject implements Fault.
func (f *SwipeBackwards) Inject(ctx context.Context, t Target) error {
	return f.set(ctx, t, "swipe_backwards", magstripe.Damage{Backwards: true})
}

// Clear implements Fault.
func (f *SwipeBackwards) Clear(ctx context.Context, t Target) error { return f.clear() }

// SwipeTooFast makes the head miss bit cells. In YAML:
//
//   - swipe_too_fast: {track: 2, lost: 5, seed: 1}
type SwipeTooFast struct {
	// Track is 1 or 2; 0 (left out) loses bits of both.
	Track int `yaml:"track"`
	// Lost is how many consecutive bit cells are missed (default 1).
	Lost int `yaml:"lost"`
	// Seed picks where.
	Seed int64 `yaml:"seed"`
	msrDamage
}

// Needs implements Needer.
func (f *SwipeTooFast) Needs() []Part { return []Part{PartMSR} }

// Check validates track and lost.
func (f *SwipeTooFast) Check(n *yaml.Node) error {
	if f.Track != 0 && f.Track != 1 && f.Track != 2 {
		return yamldoc.At(yamldoc.FindOr(n, "track"), "swipe_too_fast.track: want 1 or 2 (or leave it out for both), got %d", f.Track)
	}
	if yamldoc.Find(n, "lost") != nil && (f.Lost < 1 || f.Lost > magstripe.MaxLost) {
		return yamldoc.At(yamldoc.FindOr(n, "lost"), "swipe_too_fast.lost: want 1 to %d bits, got %d", magstripe.MaxLost, f.Lost)
	}
	return nil
}

// Inject implements Fault.
func (f *SwipeTooFast) Inject(ctx context.Context, t Target) error {
	d := magstripe.Damage{Lost: max(f.Lost, 1), Seed: f.Seed}
	if f.Track != 0 {
		d.LostTracks = []int{f.Track}
	}
	return f.set(ctx, t, "swipe_too_fast", d)
}

// Clear implements Fault.
func (f *SwipeTooFast) Clear(ctx context.Context, t Target) error { return f.clear() }

// SwipeTwice sends each swipe's line a second time. In YAML:
//
//   - swipe_twice: {gap: 100ms}
type SwipeTwice struct {
	// Gap is the time between the two swipes (default 50ms).
	Gap time.Duration `yaml:"gap"`
	msrDamage
}

// Swipe-twice bounds.
const (
	defaultTwiceGap = 50 * time.Millisecond
	maxTwiceGap     = 5 * time.Second
)

// Needs implements Needer.
func (f *SwipeTwice) Needs() []Part { return []Part{PartMSR} }

// Check validates the gap.
func (f *SwipeTwice) Check(n *yaml.Node) error {
	if yamldoc.Find(n, "gap") != nil && (f.Gap <= 0 || f.Gap > maxTwiceGap) {
		return yamldoc.At(yamldoc.FindOr(n, "gap"), "swipe_twice.gap: want more than 0 and at most %v, got %v", maxTwiceGap, f.Gap)
	}
	return nil
}

// MaxDelay implements Delayer: the swipe step lasts the gap longer.
func (f *SwipeTwice) MaxDelay() time.Duration { return f.gap() }

func (f *SwipeTwice) gap() time.Duration {
	if f.Gap <= 0 {
		return defaultTwiceGap
	}
	return min(f.Gap, maxTwiceGap)
}

// Inject implements Fault.
func (f *SwipeTwice) Inject(ctx context.Context, t Target) error {
	return f.set(ctx, t, "swipe_twice", magstripe.Damage{Twice: true, TwiceGap: f.gap()})
}

// Clear implements Fault.
func (f *SwipeTwice) Clear(ctx context.Context, t Target) error { return f.clear() }
