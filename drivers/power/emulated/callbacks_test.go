package emulated

import (
	"context"
	"errors"
	"slices"
	"testing"
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
