package pcsc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ebfe/scard"
)

// Client is a connection to the PC/SC service (pcscd). Each wait and each
// card session opens its own PC/SC context, because pcsc-lite serialises
// all calls on one context: a blocked wait or a stalled card must not hold
// up the others. A Client is safe for concurrent use.
type Client struct {
	mu  sync.Mutex
	ctx *scard.Context // nil once closed
}

// Open connects to the PC/SC service. No running service is ErrNoService.
func Open() (*Client, error) {
	c, err := establish()
	if err != nil {
		return nil, err
	}
	return &Client{ctx: c}, nil
}

// establish opens one PC/SC context.
func establish() (*scard.Context, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return nil, toError(service, err, false)
	}
	return c, nil
}

// Readers lists the reader names pcscd knows, in pcscd's order. No reader
// at all is an empty list, not an error.
func (c *Client) Readers(ctx context.Context) ([]string, error) {
	names, err := callCtx(ctx, func() ([]string, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.ctx == nil {
			return nil, ErrClosed
		}
		return c.ctx.ListReaders()
	})
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			return nil, fmt.Errorf("%s: list readers: %w", service, err)
		}
		return nil, toError(service, err, false)
	}
	return names, nil
}

// Reader returns the reader called name. It is not checked here: waiting
// on or connecting to a reader pcscd does not know is ErrNoReader.
func (c *Client) Reader(name string) Reader {
	return &reader{client: c, name: name}
}

// Close releases the client's PC/SC context. Waits and card sessions have
// their own and stay valid until they end or Disconnect.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil
	}
	err := c.ctx.Release()
	c.ctx = nil
	return toError(service, err, false)
}

// callCtx runs fn in a goroutine and returns its result, or ctx's error
// if ctx ends first (fn then finishes on its own).
func callCtx[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
