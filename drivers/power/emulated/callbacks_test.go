package emulated

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCallbacks: callbacks run in the order added, all of them even after
// one fails (errors joined), and remove takes off exactly its own one,
// once, however often it is called.
func TestCallbacks(t *testing.T) {
	var c Callbacks
	var got []string
	add := func(name string, err error) func() {
		return c.Add(func(context.Context, Change) error { got = append(got, name); return err })
	}
	boom := errors.New("boom")
	add("a", nil)
	rmB := add("b", boom)
	add("c", nil)
	if err := c.Run(t.Context(), Change{}); !errors.Is(err, boom) || !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("run: %v %v, want a b c and boom", err, got)
	}
	rmB()
	rmB() // a second call removes nothing more
	got = nil
	if err := c.Run(t.Context(), Change{}); err != nil || !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("after removing b: %v %v, want a c", err, got)
	}
}

// TestChanges: a change that leaves the state as it was announces
// nothing; one that changes it advances Seq, is published, then kept,
// then announced; a failed publish keeps the old state and announces
// nothing; a change waiting for another gives up with its context.
func TestChanges(t *testing.T) {
	c := NewChanges(State{Output: true, Seq: 1})
	var heard []Change
	c.Add(func(_ context.Context, ch Change) error { heard = append(heard, ch); return nil })
	var published []State
	publish := func(st State) error { published = append(published, st); return nil }
	if err := c.Apply(t.Context(), "s: set", func(st *State) error { st.Output = true; return nil }, publish); err != nil || len(heard)+len(published) != 0 {
		t.Fatalf("no-op change: %v, heard %v, published %v", err, heard, published)
	}
	if err := c.Apply(t.Context(), "s: set", func(st *State) error { st.Output = false; return nil }, publish); err != nil {
		t.Fatal(err)
	}
	want := State{Output: false, Seq: 2}
	if c.State() != want || len(published) != 1 || published[0] != want || len(heard) != 1 || heard[0].To != want || heard[0].From.Seq != 1 {
		t.Fatalf("state %+v, published %v, heard %v; want %+v everywhere", c.State(), published, heard, want)
	}
	full := errors.New("disk full")
	if err := c.Apply(t.Context(), "s: set", func(st *State) error { st.Output = true; return nil }, func(State) error { return full }); !errors.Is(err, full) || c.State() != want || len(heard) != 1 {
		t.Fatalf("failed publish: %v, state %+v, heard %d", err, c.State(), len(heard))
	}
	// A callback that changes the supply waits for the change it is in.
	c.Add(func(ctx context.Context, _ Change) error {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		return c.Apply(wctx, "s: nested", func(st *State) error { st.Voltage++; return nil }, nil)
	})
	err := c.Apply(t.Context(), "s: set", func(st *State) error { st.Output = true; return nil }, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "s: set: after the change: s: nested: waiting for another change") {
		t.Errorf("nested change: %v, want it to give up waiting", err)
	}
}
