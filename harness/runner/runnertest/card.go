package runnertest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/harness/runner"
)

// ErrNoCard is what the fake terminal gets transmitting with no card in.
var ErrNoCard = errors.New("runnertest: no card in the slot")

// Slot is a fake card emulator slot: one card at a time, seen at once by
// the fake Reader (unless Unseen).
type Slot struct {
	log *Log

	mu      sync.Mutex
	card    *Card
	changed chan struct{} // closed and replaced when the slot changes
	// unseen: the reader never reports a card (a stuck slot).
	unseen bool
	// foreignATR, when set, is what the reader reports instead of the
	// inserted card's ATR (another card in the reader).
	foreignATR []byte
	insertErr  error
}

var _ runner.Slot = (*Slot)(nil)

// SetUnseen makes the reader never report an inserted card.
func (s *Slot) SetUnseen(v bool) { s.mu.Lock(); s.unseen = v; s.mu.Unlock() }

// SetForeignATR makes the reader report atr whatever card is inserted.
func (s *Slot) SetForeignATR(atr []byte) { s.mu.Lock(); s.foreignATR = atr; s.mu.Unlock() }

func (s *Slot) changedLocked() chan struct{} {
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

func (s *Slot) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// Insert implements runner.Slot.
func (s *Slot) Insert(ctx context.Context, card vpcd.Card) (runner.InsertedCard, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.insertErr != nil {
		s.log.Add("slot refused the card")
		return nil, s.insertErr
	}
	if s.card != nil {
		return nil, fmt.Errorf("runnertest: slot busy")
	}
	c := &Card{slot: s, card: card, attached: make(chan struct{}), done: make(chan struct{})}
	if !s.unseen {
		close(c.attached)
	}
	s.card = c
	s.notifyLocked()
	s.log.Add("slot insert")
	return c, nil
}

// Transmit sends an APDU to the card in the slot, as the terminal's
// reader would.
func (s *Slot) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	s.mu.Lock()
	c := s.card
	s.mu.Unlock()
	if c == nil {
		return nil, ErrNoCard
	}
	return c.card.Transmit(ctx, capdu)
}

// Card is a card in the fake Slot.
type Card struct {
	slot     *Slot
	card     vpcd.Card
	attached chan struct{}
	done     chan struct{}
	once     sync.Once
}

// Attached implements runner.InsertedCard.
func (c *Card) Attached() <-chan struct{} { return c.attached }

// Done implements runner.InsertedCard.
func (c *Card) Done() <-chan struct{} { return c.done }

// Err implements runner.InsertedCard: a fake card leaves only by Remove.
func (c *Card) Err() error { return nil }

// Remove implements runner.InsertedCard.
func (c *Card) Remove() error {
	c.once.Do(func() {
		c.slot.mu.Lock()
		if c.slot.card == c {
			c.slot.card = nil
		}
		c.slot.notifyLocked()
		c.slot.mu.Unlock()
		close(c.done)
		c.slot.log.Add("slot remove")
	})
	return nil
}

// Reader is a fake PC/SC reader that reports the fake Slot's card.
type Reader struct {
	log  *Log
	slot *Slot

	mu     sync.Mutex
	health error
}

var _ runner.Reader = (*Reader)(nil)

// SetHealth makes Healthy return err (e.g. verdict.Bench("pcsc", ...)).
func (r *Reader) SetHealth(err error) { r.mu.Lock(); r.health = err; r.mu.Unlock() }

// WaitEmpty implements runner.Reader.
func (r *Reader) WaitEmpty(ctx context.Context) error {
	return r.wait(ctx, func(c *Card) bool { return c == nil }, func(*Card) { r.log.Add("reader empty") })
}

// WaitCard implements runner.Reader.
func (r *Reader) WaitCard(ctx context.Context) ([]byte, error) {
	var atr []byte
	err := r.wait(ctx, func(c *Card) bool { return c != nil && !r.slot.unseen }, func(c *Card) {
		atr = c.card.ATR()
		if r.slot.foreignATR != nil {
			atr = r.slot.foreignATR
		}
	})
	return atr, err
}

func (r *Reader) wait(ctx context.Context, done func(*Card) bool, then func(*Card)) error {
	for {
		s := r.slot
		s.mu.Lock()
		if done(s.card) {
			if then != nil { // under the slot's lock: nothing changes meanwhile
				then(s.card)
			}
			s.mu.Unlock()
			return nil
		}
		ch := s.changedLocked()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fake reader: %w", ctx.Err())
		}
	}
}

// Healthy implements runner.Reader.
func (r *Reader) Healthy(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.health
}

// SetInsertError makes Insert fail with err.
func (s *Slot) SetInsertError(err error) { s.mu.Lock(); s.insertErr = err; s.mu.Unlock() }
