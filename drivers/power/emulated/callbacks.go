package emulated

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Callbacks are the change callbacks of a supply (its OnChange), run in
// the order added. The zero value is ready; it is safe for concurrent use.
type Callbacks struct {
	mu     sync.Mutex
	subs   []callback
	nextID int
}

type callback struct {
	id int
	f  ChangeFunc
}

// Add adds f; remove takes exactly this f off again (once, whatever the
// calls).
func (c *Callbacks) Add(f ChangeFunc) (remove func()) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.subs = append(c.subs, callback{id: id, f: f})
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.subs = slices.DeleteFunc(c.subs, func(e callback) bool { return e.id == id })
		})
	}
}

// Run calls every callback added so far with ch, in order, even after
// one fails, and joins their errors. A callback may add or remove
// callbacks: Run calls those present when it started.
func (c *Callbacks) Run(ctx context.Context, ch Change) error {
	c.mu.Lock()
	subs := slices.Clone(c.subs)
	c.mu.Unlock()
	var errs []error
	for _, e := range subs {
		if err := e.f(ctx, ch); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Changes keeps a supply's state and serializes its changes: one at a
// time (waiting for another honours the caller's context), each published
// and announced to the callbacks before the next starts. The emulated
// supply and a rig's real supplies share it. Make one with NewChanges.
type Changes struct {
	Callbacks

	op chan struct{} // a lock that honours a context

	mu sync.Mutex // guards st
	st State
}

// NewChanges starts from st.
func NewChanges(st State) *Changes {
	return &Changes{op: make(chan struct{}, 1), st: st}
}

// State is the state as last changed.
func (c *Changes) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// Apply runs edit on a copy of the state under the change lock. If the
// copy differs, its Seq goes up, publish (nil: none) gets it, it becomes
// the state, and the callbacks hear of the change. Errors of edit and
// publish come back as they are (the state stays); a context that ends
// first, and a callback's error (the change stands), are wrapped with
// what (the supply and the operation).
func (c *Changes) Apply(ctx context.Context, what string, edit func(*State) error, publish func(State) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	select {
	case c.op <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for another change: %w", what, ctx.Err())
	}
	defer func() { <-c.op }()
	old := c.State()
	next := old
	if err := edit(&next); err != nil {
		return err
	}
	if next == old {
		return nil
	}
	next.Seq++
	if publish != nil {
		if err := publish(next); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.st = next
	c.mu.Unlock()
	if err := c.Run(ctx, Change{From: old, To: next}); err != nil {
		return fmt.Errorf("%s: after the change: %w", what, err)
	}
	return nil
}
