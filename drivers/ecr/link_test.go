package ecr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// TestLinkBothWays: messages flow both ways at once over a real PTY, in
// order, each delivered once, repeated identical messages included.
func TestLinkBothWays(t *testing.T) {
	_, m, s := ptyPair(t)
	a := newLink(t, m, fast, nil)
	b := newLink(t, s, fast, nil)
	const n = 15
	mk := func(side string, i int) Message {
		if i%3 == 0 {
			return msg(Key, "keys", "1") // the same message again and again
		}
		return msg(Display, "text", fmt.Sprintf("%s %d", side, i))
	}
	ctx := ctxFor(t, 10*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, dir := range []struct {
		from, to *Link
		side     string
	}{{a, b, "a"}, {b, a, "b"}} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range n {
				if err := dir.from.Send(ctx, mk(dir.side, i)); err != nil {
					errs <- fmt.Errorf("%s send %d: %w", dir.side, i, err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range n {
				got, err := dir.to.Receive(ctx)
				if err != nil {
					errs <- fmt.Errorf("receive from %s #%d: %w", dir.side, i, err)
					return
				}
				want := mk(dir.side, i)
				if _, ok := got.Get(SeqField); ok || fmt.Sprint(got) != fmt.Sprint(want) {
					errs <- fmt.Errorf("from %s #%d: got %v, want %v", dir.side, i, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	short := ctxFor(t, 50*time.Millisecond)
	if got, err := b.Receive(short); !errors.Is(err, ErrTimeout) {
		t.Errorf("extra message %v, err %v", got, err)
	}
}

// flipFirstPayloadByte flips bit 0x20 of the first payload byte after the
// first STX it sees, once: a bit error on the line.
func flipFirstPayloadByte() mangler {
	var seenSTX, done bool
	return func(b byte) (byte, bool) {
		switch {
		case done:
		case b == STX:
			seenSTX = true
		case seenSTX:
			done = true
			return b ^ 0x20, true
		}
		return b, true
	}
}

// dropFirst drops the first occurrence of byte c.
func dropFirst(c byte) mangler {
	var done bool
	return func(b byte) (byte, bool) {
		if b == c && !done {
			done = true
			return b, false
		}
		return b, true
	}
}

func TestLinkCorruptedFrameIsNakedAndRetransmitted(t *testing.T) {
	ra, rb := newRecorder(), newRecorder()
	a, b := proxied(t, flipFirstPayloadByte(), nil, ra, rb)
	ctx := ctxFor(t, 5*time.Second)
	want := msg(Sale, "amount", "1250", "currency", "978", "ref", "A1")
	if err := a.Send(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := b.Receive(ctx)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, %v", got, err)
	}
	if n := rb.count(In, TapBadFrame); n != 1 {
		t.Errorf("B saw %d bad frames, want 1", n)
	}
	for _, ev := range rb.all() {
		if ev.Kind == TapBadFrame && !errors.Is(ev.Err, ErrLRC) {
			t.Errorf("bad frame reason %v, want ErrLRC", ev.Err)
		}
	}
	if rb.count(Out, TapNak) != 1 || ra.count(In, TapNak) != 1 || ra.count(Out, TapRetransmit) < 1 {
		t.Errorf("want one NAK out of B, into A, and a retransmission; A: %v B: %v", ra.all(), rb.all())
	}
	if got, err := b.Receive(ctxFor(t, 50*time.Millisecond)); err == nil {
		t.Errorf("delivered twice: %v", got)
	}
}

func TestLinkDroppedAckDeliversOnce(t *testing.T) {
	ra, rb := newRecorder(), newRecorder()
	a, b := proxied(t, nil, dropFirst(ACK), ra, rb)
	ctx := ctxFor(t, 5*time.Second)
	want := msg(Key, "keys", "1234E")
	start := time.Now()
	if err := a.Send(ctx, want); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < proxyOpts.AckTimeout {
		t.Errorf("Send returned after %v: the first ACK was not dropped?", d)
	}
	got, err := b.Receive(ctx)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, %v", got, err)
	}
	rb.waitFor(t, In, TapDuplicate, 1, time.Second)
	if got, err := b.Receive(ctxFor(t, 50*time.Millisecond)); err == nil {
		t.Errorf("duplicate delivered: %v", got)
	}
	// The same message sent again is new (fresh seq): delivered.
	if err := a.Send(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Receive(ctx); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("second send: got %v, %v", got, err)
	}
	// Key digits never reach a Tap.
	for _, ev := range append(ra.all(), rb.all()...) {
		if bytes.Contains(ev.Raw, []byte("1234")) || (ev.Msg != nil && bytes.Contains([]byte(fmt.Sprint(*ev.Msg)), []byte("1234"))) {
			t.Fatalf("PIN digits in tap event %+v", ev)
		}
		if ev.Kind == TapFrame {
			if _, err := Decode(ev.Raw); err != nil {
				t.Errorf("redacted frame does not decode: %v", err)
			}
		}
	}
}

func TestLinkNoAck(t *testing.T) {
	_, m, raw := ptyPair(t)
	r := newRecorder()
	a := newLink(t, m, fast, r)
	start := time.Now()
	err := a.Send(ctxFor(t, 5*time.Second), msg(Status))
	if !errors.Is(err, ErrNoAck) {
		t.Fatalf("err = %v, want ErrNoAck", err)
	}
	if d, want := time.Since(start), 4*fast.AckTimeout; d < want || d > want+time.Second {
		t.Errorf("gave up after %v, want about %v", d, want)
	}
	if r.count(Out, TapFrame) != 1 || r.count(Out, TapRetransmit) != 3 {
		t.Errorf("want 1 frame and 3 retransmissions: %v", r.all())
	}
	// The silent peer got four identical frames.
	one, _ := Encode(msg(Status, SeqField, "1"))
	got := readN(t, raw, 4*len(one))
	if want := bytes.Repeat(one, 4); !bytes.Equal(got, want) {
		t.Errorf("peer got % x\nwant % x", got, want)
	}
}

// readN reads exactly n bytes from p within a second.
func readN(t *testing.T, p serial.Port, n int) []byte {
	t.Helper()
	ctx := ctxFor(t, time.Second)
	var got []byte
	buf := make([]byte, 512)
	for len(got) < n {
		k, err := p.Read(ctx, buf[:min(len(buf), n-len(got))])
		if err != nil {
			t.Fatalf("read %d of %d: %v", len(got), n, err)
		}
		got = append(got, buf[:k]...)
	}
	return got
}

func writeRaw(t *testing.T, p serial.Port, b []byte) {
	t.Helper()
	if _, err := p.Write(ctxFor(t, time.Second), b); err != nil {
		t.Fatal(err)
	}
}

// TestLinkRawPeer drives a link byte by byte from a raw port: resync on
// garbage, NAK of a damaged frame, duplicate of a frame without seq inside
// and outside the window, a frame cut short.
func TestLinkRawPeer(t *testing.T) {
	_, m, raw := ptyPair(t)
	r := newRecorder()
	opt := fast
	opt.DuplicateWindow = 200 * time.Millisecond
	l := newLink(t, m, opt, r)
	ctx := ctxFor(t, 5*time.Second)
	status := frameOf("STATUS")

	writeRaw(t, raw, append([]byte("\r\nboot noise\xff"), status...))
	if got := readN(t, raw, 1); got[0] != ACK {
		t.Fatalf("answer % x, want ACK", got)
	}
	if got, err := l.Receive(ctx); err != nil || got.Kind != Status {
		t.Fatalf("got %v, %v", got, err)
	}
	if r.count(In, TapGarbage) == 0 {
		t.Error("garbage not tapped")
	}

	bad := append([]byte(nil), status...)
	bad[3] ^= 0x01
	writeRaw(t, raw, bad)
	if got := readN(t, raw, 1); got[0] != NAK {
		t.Fatalf("answer to damaged frame % x, want NAK", got)
	}

	// The same frame again (no seq): a retransmission, ACKed, not delivered.
	writeRaw(t, raw, status)
	if got := readN(t, raw, 1); got[0] != ACK {
		t.Fatalf("answer to duplicate % x, want ACK", got)
	}
	r.waitFor(t, In, TapDuplicate, 1, time.Second)
	if got, err := l.Receive(ctxFor(t, 30*time.Millisecond)); err == nil {
		t.Fatalf("duplicate delivered: %v", got)
	}

	// After the peer restarted, the same frame is new: a terminal that
	// numbers its frames from 1 again at boot repeats its last READY.
	l.PeerRestarted()
	writeRaw(t, raw, status)
	if got := readN(t, raw, 1); got[0] != ACK {
		t.Fatalf("answer to the restarted peer's frame % x, want ACK", got)
	}
	if got, err := l.Receive(ctx); err != nil || got.Kind != Status {
		t.Fatalf("the restarted peer's frame: got %v, %v, want it delivered", got, err)
	}

	// A frame cut short is dropped after InterFrameTimeout; the next is fine.
	writeRaw(t, raw, []byte("\x02SALE\x1camou"))
	r.waitFor(t, In, TapBadFrame, 2, time.Second)
	writeRaw(t, raw, frameOf("LAST"))
	if got := readN(t, raw, 1); got[0] != ACK {
		t.Fatalf("answer % x, want ACK", got)
	}
	if got, err := l.Receive(ctx); err != nil || got.Kind != Last {
		t.Fatalf("after cut frame: got %v, %v", got, err)
	}

	// STATUS again after another frame: not the last frame, so delivered.
	writeRaw(t, raw, status)
	readN(t, raw, 1)
	if got, err := l.Receive(ctx); err != nil || got.Kind != Status {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestLinkDownAndClose(t *testing.T) {
	p, m, s := ptyPair(t)
	b := newLink(t, s, fast, nil)
	a := newLink(t, m, fast, nil)

	// Close stops the reader without closing the port.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Receive(ctxFor(t, time.Second)); !errors.Is(err, ErrLinkClosed) {
		t.Errorf("Receive after Close: %v, want ErrLinkClosed", err)
	}
	if err := a.Send(ctxFor(t, time.Second), msg(Status)); !errors.Is(err, ErrLinkClosed) {
		t.Errorf("Send after Close: %v, want ErrLinkClosed", err)
	}
	writeRaw(t, m, []byte("\x06")) // the port is still open

	// The pty vanishing under B: Receive and Send report the link down.
	recv := make(chan error, 1)
	go func() {
		_, err := b.Receive(context.Background())
		recv <- err
	}()
	p.Close()
	select {
	case err := <-recv:
		if !errors.Is(err, ErrLinkDown) || !errors.Is(err, serial.ErrIO) {
			t.Errorf("Receive with pty gone: %v, want ErrLinkDown wrapping serial.ErrIO", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Receive did not notice the link going down")
	}
	if err := b.Send(ctxFor(t, time.Second), msg(Status)); !errors.Is(err, ErrLinkDown) {
		t.Errorf("Send with link down: %v, want ErrLinkDown", err)
	}
}

func TestSendRefusesBadMessage(t *testing.T) {
	_, m, _ := ptyPair(t)
	l := newLink(t, m, fast, nil)
	if err := l.Send(ctxFor(t, time.Second), msg(Display, "text", "two\nlines")); !errors.Is(err, ErrSyntax) {
		t.Errorf("err = %v, want ErrSyntax", err)
	}
}

func TestReceiveHonoursContext(t *testing.T) {
	_, m, _ := ptyPair(t)
	l := newLink(t, m, fast, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if _, err := l.Receive(ctx); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 20*time.Millisecond+100*time.Millisecond {
		t.Errorf("returned after %v", d)
	}
}
