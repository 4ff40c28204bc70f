package fault

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// gated is a fault whose Inject and Clear (or Drop) can be held on a
// gate, or panic; it signals when each is entered and counts them.
type gated struct {
	injectGate, clearGate chan struct{} // nil: return at once; else wait until closed
	panicIn               string        // "inject", "clear" or "drop"
	panicAfterGate        bool          // panic once the gate opens, not on entry
	entered               chan string   // gets "inject", "clear", "drop" on entry

	mu                     sync.Mutex
	injects, clears, drops int
	finished               []string // in the order they returned
}

func newGated() *gated { return &gated{entered: make(chan string, 16)} }

// Instance implements Instancer: the test watches the armed fault itself.
func (g *gated) Instance() Fault { return g }

func (g *gated) op(ctx context.Context, what string, gate chan struct{}, n *int) error {
	g.entered <- what
	if g.panicIn == what && !g.panicAfterGate {
		panic("gated " + what)
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if g.panicIn == what {
		panic("gated " + what)
	}
	g.mu.Lock()
	*n++
	g.finished = append(g.finished, what)
	g.mu.Unlock()
	return nil
}

func (g *gated) Inject(ctx context.Context, _ Target) error {
	return g.op(ctx, "inject", g.injectGate, &g.injects)
}
func (g *gated) Clear(ctx context.Context, _ Target) error {
	return g.op(ctx, "clear", g.clearGate, &g.clears)
}

func (g *gated) count() (injects, clears, drops int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.injects, g.clears, g.drops
}

// droppable is a gated fault with a Drop.
type droppable struct{ *gated }

func (d droppable) Instance() Fault { return d }
func (d droppable) Drop(ctx context.Context, _ Target) error {
	return d.op(ctx, "drop", d.clearGate, &d.drops)
}

// waitEntered waits for g to enter what.
func waitEntered(t *testing.T, g *gated, what string) {
	t.Helper()
	select {
	case got := <-g.entered:
		if got != what {
			t.Fatalf("entered %s, want %s", got, what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s never started", what)
	}
}

// clearAllAsync runs ClearAll and returns its result channel.
func clearAllAsync(ctx context.Context, s *Schedule) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.ClearAll(ctx) }()
	return ch
}

// notYet checks ClearAll has not returned while the fault is held. It
// gives it 100ms to do so wrongly: a negative check has no event to
// wait on.
func notYet(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("ClearAll returned (%v) while an operation was still running", err)
	case <-time.After(100 * time.Millisecond):
	}
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("ClearAll never returned")
		return nil
	}
}

// TestClearAllWaitsForInject: a timer fires the fault and its Inject is
// still running when ClearAll comes: ClearAll waits for it, then clears
// the fault.
func TestClearAllWaitsForInject(t *testing.T) {
	ctx := t.Context()
	g := newGated()
	g.injectGate = make(chan struct{})
	s := NewSchedule(ctx, &noteTarget{})
	if err := s.Arm(ctx, &Spec{Name: "g", ID: "g", Fault: g, When: Trigger{After: time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	waitEntered(t, g, "inject")
	done := clearAllAsync(ctx, s)
	notYet(t, done)
	close(g.injectGate)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	if inj, clr, _ := g.count(); inj != 1 || clr != 1 {
		t.Fatalf("injects %d clears %d after ClearAll, want 1 and 1", inj, clr)
	}
	if got := strings.Join(g.finished, ","); got != "inject,clear" {
		t.Fatalf("order %s, want the clear after the inject", got)
	}
}

// TestClearAllWaitsForClear: a for: expiry is clearing the fault when
// ClearAll comes: ClearAll does not return before that Clear does.
func TestClearAllWaitsForClear(t *testing.T) {
	ctx := t.Context()
	g := newGated()
	g.clearGate = make(chan struct{})
	s := NewSchedule(ctx, &noteTarget{})
	if err := s.Arm(ctx, &Spec{Name: "g", ID: "g", Fault: g, For: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	waitEntered(t, g, "inject")
	waitEntered(t, g, "clear")
	done := clearAllAsync(ctx, s)
	notYet(t, done)
	close(g.clearGate)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	if _, clr, _ := g.count(); clr != 1 {
		t.Fatalf("clears %d, want 1", clr)
	}
}

// TestClearAllStuck: an Inject that does not return within ClearAll's
// ctx is reported with ErrStuck; when it returns at last (or panics),
// the fault is cleared at once and nothing stays in force.
func TestClearAllStuck(t *testing.T) {
	t.Run("returns", func(t *testing.T) { clearAllStuck(t, false, true) })
	t.Run("panics", func(t *testing.T) { clearAllStuck(t, true, true) })
	// An Inject that waits on its ctx ends when ClearAll gives up.
	t.Run("ctx ends", func(t *testing.T) { clearAllStuck(t, false, false) })
}

func clearAllStuck(t *testing.T, panics, opens bool) {
	g := newGated()
	g.injectGate = make(chan struct{})
	if panics {
		g.panicIn, g.panicAfterGate = "inject", true
	}
	s := NewSchedule(context.Background(), &noteTarget{})
	if err := s.Arm(t.Context(), &Spec{Name: "g", ID: "g", Fault: g, When: Trigger{MTI: "0200"}}); err != nil {
		t.Fatal(err)
	}
	go s.Notify(Event{Kind: EventMTI, MTI: "0200"})
	waitEntered(t, g, "inject")
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := s.ClearAll(ctx)
	if !errors.Is(err, ErrStuck) {
		t.Fatalf("ClearAll: %v, want ErrStuck", err)
	}
	if opens {
		close(g.injectGate)
	}
	waitEntered(t, g, "clear")
}

// TestClearAllStuckClear: a Clear that ignores its ctx makes ClearAll
// return ErrStuck by its deadline, not hang.
func TestClearAllStuckClear(t *testing.T) {
	g := newGated()
	gate := make(chan struct{})
	defer close(gate)
	g.clearGate = gate
	s := NewSchedule(context.Background(), &noteTarget{})
	if err := s.Arm(t.Context(), &Spec{Name: "g", ID: "g", Fault: stubborn{g}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.ClearAll(ctx); !errors.Is(err, ErrStuck) {
		t.Fatalf("ClearAll: %v, want ErrStuck", err)
	}
}

// stubborn is a gated fault whose Clear ignores its ctx.
type stubborn struct{ *gated }

func (s stubborn) Instance() Fault { return s }
func (s stubborn) Clear(context.Context, Target) error {
	return s.op(context.Background(), "clear", s.clearGate, &s.clears)
}

// TestPanicsRecovered: a panic in Inject (on a timer, from Notify, at
// Arm) or in Clear becomes an error wrapping ErrPanic with the stack on
// the timeline; the process lives, and a fault whose Inject panicked is
// still cleared.
func TestPanicsRecovered(t *testing.T) {
	for _, tc := range []struct {
		name string
		when Trigger
		in   string
	}{
		{"timer inject", Trigger{After: time.Millisecond}, "inject"},
		{"event inject", Trigger{MTI: "0200"}, "inject"},
		{"immediate inject", Trigger{}, "inject"},
		{"clear", Trigger{}, "clear"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			g := newGated()
			g.panicIn = tc.in
			tg := &noteTarget{}
			s := NewSchedule(ctx, tg)
			armErr := s.Arm(ctx, &Spec{Name: "g", ID: "g", Fault: g, When: tc.when})
			if tc.when.MTI != "" {
				s.Notify(Event{Kind: EventMTI, MTI: "0200"})
			}
			waitEntered(t, g, "inject")
			clearErr := s.ClearAll(ctx)
			if tc.in == "inject" {
				waitEntered(t, g, "clear")
			}
			err := errors.Join(armErr, s.Err(), clearErr)
			if !errors.Is(err, ErrPanic) {
				t.Fatalf("errors %v, want ErrPanic", err)
			}
			tg.mu.Lock()
			defer tg.mu.Unlock()
			if !strings.Contains(strings.Join(tg.notes, "\n"), "goroutine ") {
				t.Errorf("no stack on the timeline: %q", tg.notes)
			}
		})
	}
}

// TestReleaseOrDrop: a for: expiry and a clear step release (Clear);
// ClearAll drops (Drop) a fault that has one, and clears one that has
// not.
func TestReleaseOrDrop(t *testing.T) {
	ctx := t.Context()
	expiring, stepped, ended, plain := newGated(), newGated(), newGated(), newGated()
	s := NewSchedule(ctx, &noteTarget{})
	for _, sp := range []*Spec{
		{Name: "e", ID: "e", Fault: droppable{expiring}, For: time.Millisecond},
		{Name: "s", ID: "s", Fault: droppable{stepped}},
		{Name: "n", ID: "n", Fault: droppable{ended}},
		{Name: "p", ID: "p", Fault: plain},
	} {
		if err := s.Arm(ctx, sp); err != nil {
			t.Fatal(err)
		}
	}
	waitEntered(t, expiring, "inject")
	waitEntered(t, expiring, "clear")
	if err := s.Clear(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearAll(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name               string
		g                  *gated
		inj, clears, drops int
	}{
		{"for: expiry", expiring, 1, 1, 0},
		{"clear step", stepped, 1, 1, 0},
		{"ClearAll", ended, 1, 0, 1},
		{"ClearAll, no Drop", plain, 1, 1, 0},
	} {
		if i, cl, d := c.g.count(); i != c.inj || cl != c.clears || d != c.drops {
			t.Errorf("%s: injects %d clears %d drops %d, want %d %d %d", c.name, i, cl, d, c.inj, c.clears, c.drops)
		}
	}
}

// panicNotes is a Target whose Note panics once armed, as a bug in the
// runner's timeline would.
type panicNotes struct {
	noteTarget
	mu    sync.Mutex
	armed bool
}

func (p *panicNotes) Note(f string, a ...any) {
	p.mu.Lock()
	armed := p.armed
	p.mu.Unlock()
	if armed {
		panic("timeline bug")
	}
	p.noteTarget.Note(f, a...)
}

// TestPanicOutsideFaultRecovered: a panic in the schedule's own work on
// a timer goroutine (here the timeline's Note after a timed Inject) is
// recovered and recorded, and the fault is still cleared.
func TestPanicOutsideFaultRecovered(t *testing.T) {
	ctx := t.Context()
	g := newGated()
	tg := &panicNotes{}
	s := NewSchedule(ctx, tg)
	if err := s.Arm(ctx, &Spec{Name: "g", ID: "g", Fault: g, When: Trigger{After: time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	tg.mu.Lock()
	tg.armed = true
	tg.mu.Unlock()
	waitEntered(t, g, "inject")
	clearErr := s.ClearAll(ctx)
	waitEntered(t, g, "clear")
	if err := errors.Join(s.Err(), clearErr); !errors.Is(err, ErrPanic) {
		t.Fatalf("errors %v, want ErrPanic", err)
	}
}
