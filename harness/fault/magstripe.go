package fault

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/magstripe"
	"github.com/poshil/poshil/harness/yamldoc"
)

func init() {
	Register("demagnetized", "the swiped card's stripe is blank (no flux): tracks [1,2], default all; terminal must report CARD_READ_ERROR",
		func() Fault { return &Demagnetized{} })
	Register("track_damage", "one track of the swiped card is damaged: track 1|2, kind parity|lrc|no_end_sentinel|no_start_sentinel, seed; terminal must report CARD_READ_ERROR",
		func() Fault { return &TrackDamage{} })
	Register("swipe_jitter", "the MSR delivers its line in chunks with small irregular delays (seed); the swipe must still read",
		func() Fault { return &SwipeJitter{} })
}

// Demagnetized blanks tracks of every card swiped while it is active: the
// MSR head sees no flux transitions there. In YAML:
//
//   - demagnetized: {tracks: [1]}   # or demagnetized: {} for every track
type Demagnetized struct {
	// Tracks lists the blank tracks; empty means all.
	Tracks []int `yaml:"tracks"`
	msrDamage
}

// Needs implements Needer.
func (f *Demagnetized) Needs() []Part { return []Part{PartMSR} }

// Check validates the tracks.
func (f *Demagnetized) Check(n *yaml.Node) error {
	for i, t := range f.Tracks {
		if t != 1 && t != 2 {
			return yamldoc.At(index(yamldoc.FindOr(n, "tracks"), i), "demagnetized.tracks: track %d: want 1 or 2", t)
		}
		if slices.Contains(f.Tracks[:i], t) {
			return yamldoc.At(index(yamldoc.FindOr(n, "tracks"), i), "demagnetized.tracks: track %d listed twice", t)
		}
	}
	return nil
}

// Inject implements Fault.
func (f *Demagnetized) Inject(ctx context.Context, t Target) error {
	return f.set(ctx, t, "demagnetized", magstripe.Damage{Blank: true, BlankTracks: slices.Clone(f.Tracks)})
}

// Clear implements Fault.
func (f *Demagnetized) Clear(ctx context.Context, t Target) error { return f.clear() }

// TrackDamage damages one track of every card swiped while it is active,
// so that the MSR reports it as "E". In YAML:
//
//   - track_damage: {track: 2, kind: lrc, seed: 7}
type TrackDamage struct {
	Track int `yaml:"track"`
	// Kind is parity, lrc, no_end_sentinel or no_start_sentinel (a track
	// with no start sentinel is left out of the MSR line, not "E").
	Kind magstripe.Kind `yaml:"kind"`
	// Seed picks the damaged bit; the same seed damages the same bit.
	Seed int64 `yaml:"seed"`
	msrDamage
}

// Needs implements Needer.
func (f *TrackDamage) Needs() []Part { return []Part{PartMSR} }

// Check validates track and kind.
func (f *TrackDamage) Check(n *yaml.Node) error {
	if f.Track != 1 && f.Track != 2 {
		return yamldoc.At(yamldoc.FindOr(n, "track"), "track_damage.track: want 1 or 2, got %d", f.Track)
	}
	if f.Kind == magstripe.KindNone || !f.Kind.Valid() {
		kinds := make([]string, len(magstripe.Kinds))
		for i, k := range magstripe.Kinds {
			kinds[i] = string(k)
		}
		return yamldoc.At(yamldoc.FindOr(n, "kind"), "track_damage.kind: want one of %s, got %q", strings.Join(kinds, ", "), f.Kind)
	}
	return nil
}

// Inject implements Fault.
func (f *TrackDamage) Inject(ctx context.Context, t Target) error {
	return f.set(ctx, t, "track_damage", magstripe.Damage{Kinds: map[int]magstripe.Kind{f.Track: f.Kind}, Seed: f.Seed})
}

// Clear implements Fault.
func (f *TrackDamage) Clear(ctx context.Context, t Target) error { return f.clear() }

// SwipeJitter makes the MSR deliver each swipe's line in small chunks with
// irregular pauses, as a slow or noisy reader does: a terminal that takes
// one read for a whole line fails. In YAML:
//
//   - swipe_jitter: {seed: 3}
type SwipeJitter struct {
	// Seed picks the chunks and pauses.
	Seed int64 `yaml:"seed"`
	msrDamage
}

// Needs implements Needer.
func (f *SwipeJitter) Needs() []Part { return []Part{PartMSR} }

// Inject implements Fault.
func (f *SwipeJitter) Inject(ctx context.Context, t Target) error {
	return f.set(ctx, t, "swipe_jitter", magstripe.Damage{Jitter: true, Seed: f.Seed})
}

// Clear implements Fault.
func (f *SwipeJitter) Clear(ctx context.Context, t Target) error { return f.clear() }

// msrDamage holds a magstripe fault's damage layer on the MSR; embedded
// (unexported, so YAML does not see it) in each magstripe fault.
type msrDamage struct {
	mu      sync.Mutex
	restore func()
}

// set adds d on the bench's MSR, replacing this fault's earlier layer.
func (m *msrDamage) set(ctx context.Context, t Target, name string, d magstripe.Damage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dm, ok := t.Part(PartMSR).(magstripe.Damager)
	if !ok {
		return fmt.Errorf("%s: %w: the bench has no emulated MSR", name, ErrUnsupported)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.restore != nil {
		m.restore()
	}
	m.restore = dm.SetDamage(d)
	t.Note("msr: %s", d)
	return nil
}

// clear removes the layer; idempotent, and a no-op when set never ran.
func (m *msrDamage) clear() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.restore != nil {
		m.restore()
		m.restore = nil
	}
	return nil
}
