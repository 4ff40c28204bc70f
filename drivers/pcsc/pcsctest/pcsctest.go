// Package pcsctest helps tests that need the real PC/SC stack: pcscd with
// vpcd and an emulated card in a vpcd slot. Tests use slot 1 ("Virtual PCD
// 00 01"); slot 0 is the emulated bench's. Setup reserves the slot, so
// concurrent test processes take turns.
//
// It is for tests only; it is not a fake: everything goes through pcscd.
package pcsctest

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/pcsc"
	"github.com/poshil/poshil/drivers/vpcd"
)

// Slot is the vpcd slot tests use, and Reader its PC/SC name.
const (
	Slot   = 1
	Reader = "Virtual PCD 00 01"
)

// Client opens a PC/SC client for t, closed at cleanup. Without a running
// pcscd (or without vpcd's slot 1) the test is skipped, unless the CI
// variable is set: in CI the real parts must be there, so it fails.
func Client(t testing.TB) *pcsc.Client {
	t.Helper()
	c, err := pcsc.Open()
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var names []string
		names, err = c.Readers(ctx)
		if err == nil && !slices.Contains(names, Reader) {
			err = errors.New("pcscd has no reader " + Reader + " (vpcd not configured?)")
		}
	}
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("real PC/SC stack not available (start it: sudo ci/pcscd.sh start): %v", err)
		}
		t.Fatalf("CI is set but the PC/SC stack is not usable: %v", err)
	}
	return c
}

// Bench is the real PC/SC stack with the test slot reserved for one test:
// no other test process can put a card in it until the test ends, so a
// test can also check an empty reader.
type Bench struct {
	Client *pcsc.Client
	Reader pcsc.Reader
	slot   *vpcd.Reservation
}

// Setup opens a client (see Client for when it skips), reserves the test
// slot until t ends (waiting for other tests under ctx) and waits until
// pcscd reports the reader empty.
func Setup(ctx context.Context, t testing.TB) *Bench {
	t.Helper()
	c := Client(t)
	res, err := vpcd.Reserve(ctx, vpcd.SlotAddr("127.0.0.1", Slot))
	if err != nil {
		t.Fatalf("reserve vpcd slot %d: %v", Slot, err)
	}
	t.Cleanup(res.Release)
	b := &Bench{Client: c, Reader: c.Reader(Reader), slot: res}
	// pcscd polls vpcd: a card inserted before it has seen the previous
	// test's card leave can go unseen. Start from an empty reader, as the
	// runner does before every scenario.
	if err := b.Reader.WaitAbsent(ctx); err != nil {
		t.Fatalf("reader %s not empty: %v", Reader, err)
	}
	return b
}

// Insert puts card into the test slot and waits until the reader sees it
// (vpcd attached this card and pcscd reports a card present). The card is
// removed at cleanup at the latest.
func (b *Bench) Insert(ctx context.Context, t testing.TB, card vpcd.Card) *vpcd.Slot {
	t.Helper()
	s, err := b.slot.Insert(ctx, card)
	if err != nil {
		t.Fatalf("insert card: %v", err)
	}
	t.Cleanup(func() { _ = s.Remove() })
	select {
	case <-s.Attached():
	case <-s.Done():
		t.Fatalf("card left before vpcd took it: %v", s.Err())
	case <-ctx.Done():
		t.Fatalf("vpcd did not take the card: %v", ctx.Err())
	}
	if err := b.Reader.WaitPresent(ctx); err != nil {
		t.Fatalf("wait for card: %v", err)
	}
	return s
}
