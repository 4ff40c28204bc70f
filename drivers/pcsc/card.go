package pcsc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ebfe/scard"
)

// statusWait bounds how long Status waits for an APDU in flight.
const statusWait = 2 * time.Second

// card is a session with a connected card. pcsc-lite serialises calls on
// a context, so a semaphore (busy) mirrors that: whoever holds it may call
// into the handle. A Transmit abandoned when its ctx ended keeps holding
// it until the card finally answers (or is removed); later calls wait for
// it under their own deadline instead of blocking inside pcsc-lite.
type card struct {
	reader string
	sc     *scard.Context
	h      *scard.Card
	atr    []byte
	busy   chan struct{} // capacity 1: held while a PC/SC call runs

	mu     sync.Mutex
	closed bool
}

func newCard(reader string, sc *scard.Context, h *scard.Card, atr []byte) *card {
	return &card{reader: reader, sc: sc, h: h, atr: atr, busy: make(chan struct{}, 1)}
}

// ATR is the answer to reset read at connect time.
func (c *card) ATR() []byte { return append([]byte(nil), c.atr...) }

// acquire takes the session for one PC/SC call, or fails when ctx ends
// first (an earlier APDU is still stuck in the card).
func (c *card) acquire(ctx context.Context) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return fmt.Errorf("%s: %w", c.reader, ErrClosed)
	}
	select {
	case c.busy <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w: %w", c.reader, ErrUnresponsive, ctx.Err())
	}
}

func (c *card) release() { <-c.busy }

// Transmit runs the blocking SCardTransmit in a goroutine and stops
// waiting when ctx ends: vpcd has no timeout, so a stalled card would
// otherwise block forever.
func (c *card) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	if len(capdu) == 0 {
		return nil, fmt.Errorf("%s: %w: empty", c.reader, ErrBadCommand)
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	type result struct {
		rsp []byte
		err error
	}
	ch := make(chan result, 1)
	cmd := append([]byte(nil), capdu...)
	go func() {
		defer c.release()
		rsp, err := c.h.Transmit(cmd)
		ch <- result{rsp, err}
	}()
	select {
	case r := <-ch:
		switch {
		case r.err != nil:
			return nil, toError(c.reader, r.err, true)
		case len(r.rsp) == 0:
			return nil, fmt.Errorf("%s: %w", c.reader, ErrEmptyResponse)
		case len(r.rsp) < 2:
			return nil, fmt.Errorf("%s: %w: % X", c.reader, ErrShortAPDU, r.rsp)
		}
		return r.rsp, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w: %w", c.reader, ErrUnresponsive, ctx.Err())
	}
}

// Status asks pcscd about the session's card. A removed card is reported
// as not present (no error); an APDU stuck in the card for longer than
// statusWait is ErrUnresponsive.
func (c *card) Status() (Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), statusWait)
	defer cancel()
	if err := c.acquire(ctx); err != nil {
		return Status{Reader: c.reader}, err
	}
	defer c.release()
	st, err := c.h.Status()
	if err != nil {
		if code, ok := err.(scard.Error); ok && (code == scard.ErrRemovedCard || code == scard.ErrNoSmartcard) {
			return Status{Reader: c.reader}, nil
		}
		return Status{Reader: c.reader}, toError(c.reader, err, true)
	}
	present := st.State&(scard.Present|scard.Powered|scard.Negotiable|scard.Specific) != 0
	powered := st.State&(scard.Powered|scard.Negotiable|scard.Specific) != 0
	return Status{Reader: c.reader, Present: present, Powered: powered, ATR: st.Atr}, nil
}

// Disconnect ends the session (reset: reset the card, else leave it
// powered). If an APDU is still stuck in the card, the session is closed
// at once for the caller and the PC/SC handle is released in the
// background when the card answers or is removed.
func (c *card) Disconnect(reset bool) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	disp := scard.LeaveCard
	if reset {
		disp = scard.ResetCard
	}
	end := func() error {
		err := c.h.Disconnect(disp)
		_ = c.sc.Release()
		return err
	}
	select {
	case c.busy <- struct{}{}:
		err := end()
		if err != nil {
			if code, ok := err.(scard.Error); ok && (code == scard.ErrRemovedCard || code == scard.ErrNoSmartcard) {
				return nil // nothing left to disconnect from
			}
			return toError(c.reader, err, true)
		}
		return nil
	default:
		go func() {
			c.busy <- struct{}{}
			_ = end()
		}()
		return nil
	}
}
