package ifd

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/poshil/poshil/drivers/vpcd"
)

// Slots the tests take: slot 0 is the emulated bench's, slot 1 of "Virtual
// PCD" package pcsc's tests'. Both are reserved, so tests only take turns.
const (
	oursSlot  = 2
	stockSlot = 1
)

// bench reads this pcscd's configuration; without pcscd's reader
// configuration the test is skipped.
func bench(t testing.TB) Status {
	t.Helper()
	s, err := Check(ConfDir)
	if err != nil {
		t.Skipf("no pcscd reader configuration: %v", err)
	}
	return s
}

// needOurs is the reader of poshil's driver, or skips the test saying why.
func needOurs(t testing.TB) *Reader {
	t.Helper()
	s := bench(t)
	if s.Ours == nil {
		// In CI, a driver make deps installed must serve the bench.
		if _, err := os.Stat(LibPath); err == nil && os.Getenv("CI") != "" && os.Getenv("POSHIL_IFD") != "stock" {
			t.Fatalf("CI: %s is installed but this pcscd does not use it: %s", LibPath, s)
		}
		t.Skipf("%s (run inside ci/isolated.sh with the driver built: POSHIL_IFD_LIB=drivers/ifd/build/%s, or install it with ci/deps.sh)", s, LibName)
	}
	return s.Ours
}

// testCard is a card with a fixed ATR that answers 90 00 to every APDU and
// counts power-ons.
type testCard struct {
	atr []byte
	mu  sync.Mutex
	ons int
}

func newCard(last byte) *testCard {
	return &testCard{atr: []byte{0x3B, 0x02, 0x14, last}}
}

func (c *testCard) ATR() []byte { return c.atr }

func (c *testCard) Power(ev vpcd.PowerEvent) {
	if ev == vpcd.PowerOn {
		c.mu.Lock()
		c.ons++
		c.mu.Unlock()
	}
}

func (c *testCard) Transmit(context.Context, []byte) ([]byte, error) {
	return []byte{0x90, 0x00}, nil
}

func (c *testCard) powerOns() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ons
}

// rawCard connects card to addr without package vpcd's slot lock (the
// caller holds the slot's reservation), so it can queue behind a card
// still in the slot. It serves until the test ends or the reader hangs up.
func rawCard(ctx context.Context, t testing.TB, addr string, card vpcd.Card) net.Conn {
	t.Helper()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	go func() {
		r := bufio.NewReader(c)
		var hdr [2]byte
		for {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				return
			}
			msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
			if _, err := io.ReadFull(r, msg); err != nil {
				return
			}
			var reply []byte
			switch {
			case len(msg) == 1 && msg[0] == 0x04:
				reply = card.ATR()
			case len(msg) == 1:
				card.Power(vpcd.PowerEvent(msg[0]))
				continue
			default:
				reply, _ = card.Transmit(ctx, msg)
			}
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			out := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
			if _, err := c.Write(append(out, reply...)); err != nil {
				return
			}
		}
	}()
	return c
}

// watcher follows one reader's state through SCardGetStatusChange.
type watcher struct {
	sc     *scard.Context
	states []scard.ReaderState
}

// watch starts following reader name; it fails the test if pcscd does not
// know the reader.
func watch(t testing.TB, name string) *watcher {
	t.Helper()
	sc, err := scard.EstablishContext()
	if err != nil {
		t.Skipf("no pcscd: %v", err)
	}
	t.Cleanup(func() { _ = sc.Release() })
	w := &watcher{sc: sc, states: []scard.ReaderState{{Reader: name, CurrentState: scard.StateUnaware}}}
	if err := sc.GetStatusChange(w.states, 2*time.Second); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if w.states[0].EventState&scard.StateUnknown != 0 {
		t.Fatalf("pcscd has no reader %q", name)
	}
	w.states[0].CurrentState = w.states[0].EventState &^ scard.StateChanged
	return w
}

// state is the last state seen.
func (w *watcher) state() scard.StateFlag { return w.states[0].CurrentState }

// events is pcscd's count of card events on the reader (insertions and
// removals) at the last state seen.
func (w *watcher) events() int { return int(w.state() >> 16) }

// atr is the ATR pcscd reported at the last state seen.
func (w *watcher) atr() []byte { return slices.Clone(w.states[0].Atr) }

// until waits for a state change after which done holds, and returns when
// it saw it. ctx bounds the wait.
func (w *watcher) until(ctx context.Context, done func(scard.StateFlag) bool) (time.Time, error) {
	for {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		err := w.sc.GetStatusChange(w.states, 100*time.Millisecond)
		if errors.Is(err, scard.ErrTimeout) {
			continue
		}
		at := time.Now()
		if err != nil {
			return at, err
		}
		ev := w.states[0].EventState
		w.states[0].CurrentState = ev &^ scard.StateChanged
		if done(ev) {
			return at, nil
		}
	}
}

func present(s scard.StateFlag) bool { return s&scard.StatePresent != 0 }
func empty(s scard.StateFlag) bool   { return s&scard.StateEmpty != 0 }

// slotOf reserves slot n of r for the test and waits until it is empty.
func slotOf(ctx context.Context, t testing.TB, r *Reader, n int) (*vpcd.Reservation, *watcher) {
	t.Helper()
	res, err := vpcd.Reserve(ctx, r.SlotAddr(n))
	if err != nil {
		t.Fatalf("reserve %s: %v", r.SlotAddr(n), err)
	}
	t.Cleanup(res.Release)
	w := watch(t, r.SlotName(n))
	if !empty(w.state()) {
		if _, err := w.until(ctx, empty); err != nil {
			t.Fatalf("%s not empty: %v", r.SlotName(n), err)
		}
	}
	return res, w
}

// cycle inserts card, waits until pcscd reports it, removes it and waits
// until pcscd reports the reader empty: the two latencies, each from the
// card's move to the event a PC/SC client gets. pause (if not nil) runs
// before each move.
func cycle(ctx context.Context, t testing.TB, res *vpcd.Reservation, w *watcher, card vpcd.Card, pause func()) (ins, rem time.Duration) {
	t.Helper()
	if pause == nil {
		pause = func() {}
	}
	pause()
	start := time.Now()
	s, err := res.Insert(ctx, card)
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	at, err := w.until(ctx, present)
	if err != nil {
		t.Fatalf("insertion not seen: %v", err)
	}
	ins = at.Sub(start)
	pause()
	start = time.Now()
	_ = s.Remove()
	at, err = w.until(ctx, empty)
	if err != nil {
		t.Fatalf("removal not seen: %v", err)
	}
	return ins, at.Sub(start)
}

// quantile of sorted durations, q in [0, 1].
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(q*float64(len(sorted)-1))]
}
