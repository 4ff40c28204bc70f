package emulated

import (
	"context"
	"errors"
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
