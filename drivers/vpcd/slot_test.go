package vpcd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeVPCD is the reader side of the protocol on a real TCP socket, with
// Nagle on like vpcd's C code; it accepts one card.
type fakeVPCD struct {
	t    *testing.T
	ln   net.Listener
	conn *net.TCPConn
	r    *bufio.Reader
}

func newFakeVPCD(t *testing.T) *fakeVPCD {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeVPCD{t: t, ln: ln}
}

func (f *fakeVPCD) addr() string { return f.ln.Addr().String() }

func (f *fakeVPCD) accept() {
	f.t.Helper()
	c, err := f.ln.Accept()
	if err != nil {
		f.t.Fatal(err)
	}
	f.conn = c.(*net.TCPConn)
	_ = f.conn.SetNoDelay(false)
	f.r = bufio.NewReader(f.conn)
	f.t.Cleanup(func() { f.conn.Close() })
}

// send writes one message as vpcd does: length, then payload, as two
// separate writes (two segments).
func (f *fakeVPCD) send(msg []byte) {
	f.t.Helper()
	hdr := []byte{byte(len(msg) >> 8), byte(len(msg))}
	if _, err := f.conn.Write(hdr); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.conn.Write(msg); err != nil {
		f.t.Fatal(err)
	}
}

// recv reads one framed reply within a second.
func (f *fakeVPCD) recv() ([]byte, error) {
	_ = f.conn.SetReadDeadline(time.Now().Add(time.Second))
	return readFrame(f.r, nil)
}

func (f *fakeVPCD) exchange(msg []byte) []byte {
	f.t.Helper()
	f.send(msg)
	r, err := f.recv()
	if err != nil {
		f.t.Fatalf("reply to % X: %v", msg, err)
	}
	return r
}

// recCard records power events and answers APDUs through fn.
type recCard struct {
	atr []byte
	mu  sync.Mutex
	pow []PowerEvent
	fn  func(ctx context.Context, capdu []byte) ([]byte, error)
}

func (c *recCard) ATR() []byte { return c.atr }
func (c *recCard) Power(ev PowerEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pow = append(c.pow, ev)
}
func (c *recCard) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	if c.fn != nil {
		return c.fn(ctx, capdu)
	}
	return []byte{0x90, 0x00}, nil
}
func (c *recCard) powers() []PowerEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.pow)
}

func insert(t *testing.T, ctx context.Context, addr string, card Card) *Slot {
	t.Helper()
	s, err := Insert(ctx, addr, card)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Remove() })
	return s
}

func waitDone(t *testing.T, s *Slot) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("slot not done within 2 s")
	}
}

func TestProtocol(t *testing.T) {
	v := newFakeVPCD(t)
	atr := []byte{0x3B, 0x02, 0x14, 0x50}
	card := &recCard{atr: atr, fn: func(_ context.Context, capdu []byte) ([]byte, error) {
		return append(slices.Clone(capdu[1:2]), 0x90, 0x00), nil
	}}
	s := insert(t, context.Background(), v.addr(), card)
	v.accept()
	select {
	case <-s.Attached():
		t.Fatal("attached before vpcd said anything")
	default:
	}
	if got := v.exchange([]byte{0x04}); !bytes.Equal(got, atr) {
		t.Errorf("GET ATR: % X, want % X", got, atr)
	}
	select {
	case <-s.Attached():
	case <-time.After(time.Second):
		t.Fatal("not attached after GET ATR")
	}
	v.send([]byte{0x01})
	v.send([]byte{0x02})
	v.send([]byte{0x00})
	v.send([]byte{0x07}) // unknown control: ignored
	if got := v.exchange([]byte{0x00, 0xB2, 0x01, 0x0C, 0x00}); !bytes.Equal(got, []byte{0xB2, 0x90, 0x00}) {
		t.Errorf("APDU reply % X", got)
	}
	if got, want := card.powers(), []PowerEvent{PowerOn, Reset, PowerOff}; !slices.Equal(got, want) {
		t.Errorf("power events %v, want %v", got, want)
	}
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.recv(); !errors.Is(err, io.EOF) {
		t.Errorf("after Remove vpcd reads %v, want EOF", err)
	}
	if s.Err() != nil {
		t.Errorf("Err after Remove: %v", s.Err())
	}
}

func TestMuteCard(t *testing.T) {
	v := newFakeVPCD(t)
	insert(t, context.Background(), v.addr(), &recCard{})
	v.accept()
	got := v.exchange([]byte{0x04})
	if len(got) <= 33 || !bytes.Equal(got, MuteATR) {
		t.Errorf("mute card ATR % X (%d bytes), want MuteATR (over 33 bytes)", got, len(got))
	}
}

func TestCardPulled(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		fn   func(context.Context, []byte) ([]byte, error)
	}{
		{"error", func(context.Context, []byte) ([]byte, error) { return nil, boom }},
		{"empty answer", func(context.Context, []byte) ([]byte, error) { return nil, nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newFakeVPCD(t)
			s := insert(t, context.Background(), v.addr(), &recCard{atr: []byte{0x3B, 0}, fn: tc.fn})
			v.accept()
			v.send([]byte{0x00, 0xA4, 0x04, 0x00})
			if _, err := v.recv(); !errors.Is(err, io.EOF) {
				t.Errorf("vpcd reads %v, want EOF (card gone)", err)
			}
			waitDone(t, s)
			if !errors.Is(s.Err(), ErrCardPulled) {
				t.Errorf("Err %v, want ErrCardPulled", s.Err())
			}
		})
	}
}

func TestContextEndRemoves(t *testing.T) {
	v := newFakeVPCD(t)
	ctx, cancel := context.WithCancel(context.Background())
	blocked := make(chan struct{})
	s := insert(t, ctx, v.addr(), &recCard{fn: func(ctx context.Context, _ []byte) ([]byte, error) {
		close(blocked)
		<-ctx.Done() // a card that never answers
		return nil, ctx.Err()
	}})
	v.accept()
	v.send([]byte{0x00, 0xA4, 0x04, 0x00})
	<-blocked
	cancel()
	waitDone(t, s)
	if !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("Err %v, want context.Canceled", s.Err())
	}
	if _, err := v.recv(); !errors.Is(err, io.EOF) {
		t.Errorf("vpcd reads %v, want EOF", err)
	}
}

func TestRemoveStalledCard(t *testing.T) {
	v := newFakeVPCD(t)
	blocked := make(chan struct{})
	s := insert(t, context.Background(), v.addr(), &recCard{fn: func(ctx context.Context, _ []byte) ([]byte, error) {
		close(blocked)
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	v.accept()
	v.send([]byte{0x00, 0xA4, 0x04, 0x00})
	<-blocked
	done := make(chan error, 1)
	go func() { done <- s.Remove() }()
	select {
	case err := <-done:
		if err != nil || s.Err() != nil {
			t.Errorf("Remove %v, Err %v", err, s.Err())
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Remove hangs on a stalled card")
	}
}

func TestReaderClosed(t *testing.T) {
	v := newFakeVPCD(t)
	s := insert(t, context.Background(), v.addr(), &recCard{})
	v.accept()
	v.conn.Close()
	waitDone(t, s)
	if !errors.Is(s.Err(), ErrReaderClosed) {
		t.Errorf("Err %v, want ErrReaderClosed", s.Err())
	}
}

func TestSlotBusy(t *testing.T) {
	v := newFakeVPCD(t)
	first := insert(t, context.Background(), v.addr(), &recCard{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Insert(ctx, v.addr(), &recCard{}); !errors.Is(err, ErrSlotBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Insert: %v, want ErrSlotBusy", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("second Insert gave up after %v", d)
	}
	got := make(chan *Slot, 1)
	go func() {
		s, err := Insert(context.Background(), v.addr(), &recCard{})
		if err != nil {
			t.Error(err)
		}
		got <- s
	}()
	select {
	case <-got:
		t.Fatal("a third Insert got the slot while the first card is in")
	case <-time.After(100 * time.Millisecond):
	}
	_ = first.Remove()
	select {
	case s := <-got:
		_ = s.Remove()
	case <-time.After(2 * time.Second):
		t.Fatal("slot not free after Remove")
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Insert(context.Background(), addr, &recCard{}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Insert: %v, want ErrUnreachable", err)
	}
}

func TestSlotAddr(t *testing.T) {
	if got := SlotAddr("127.0.0.1", 1); got != "127.0.0.1:35964" {
		t.Errorf("SlotAddr = %s", got)
	}
	if got := SlotAddr("::1", 0); got != "[::1]:35963" {
		t.Errorf("SlotAddr = %s", got)
	}
}

// TestRoundTripNoDelayedACK: vpcd writes length and payload as two
// segments with Nagle on; without TCP_QUICKACK before every read, each
// exchange stalls ~40 ms on the delayed ACK.
func TestRoundTripNoDelayedACK(t *testing.T) {
	v := newFakeVPCD(t)
	insert(t, context.Background(), v.addr(), &recCard{atr: []byte{0x3B, 0}})
	v.accept()
	apdu := []byte{0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00}
	var d []time.Duration
	for range 40 {
		start := time.Now()
		v.exchange(apdu)
		d = append(d, time.Since(start))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if med := d[len(d)/2]; med > 5*time.Millisecond {
		t.Errorf("median round trip %v, want well under the 40 ms delayed-ACK stall", med)
	}
}

func TestReservation(t *testing.T) {
	v := newFakeVPCD(t)
	ctx := context.Background()
	res, err := Reserve(ctx, v.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := Insert(short, v.addr(), &recCard{}); !errors.Is(err, ErrSlotBusy) {
		t.Fatalf("Insert into a reserved slot: %v, want ErrSlotBusy", err)
	}
	first, err := res.Insert(ctx, &recCard{atr: []byte{0x3B, 0x01}})
	if err != nil {
		t.Fatal(err)
	}
	v.accept()
	if got := v.exchange([]byte{0x04}); !bytes.Equal(got, []byte{0x3B, 0x01}) {
		t.Errorf("ATR % X", got)
	}
	if _, err := res.Insert(ctx, &recCard{}); !errors.Is(err, ErrSlotBusy) {
		t.Errorf("second card while one is in: %v, want ErrSlotBusy", err)
	}
	_ = first.Remove()
	if _, err := res.Insert(ctx, &recCard{atr: []byte{0x3B, 0x02}}); err != nil {
		t.Fatalf("card after removal: %v", err)
	}
	v.accept()
	if got := v.exchange([]byte{0x04}); !bytes.Equal(got, []byte{0x3B, 0x02}) {
		t.Errorf("second card ATR % X", got)
	}
	res.Release()
	if _, err := v.recv(); !errors.Is(err, io.EOF) {
		t.Errorf("card still in after Release: %v", err)
	}
	if _, err := res.Insert(ctx, &recCard{}); !errors.Is(err, ErrSlotBusy) {
		t.Errorf("Insert after Release: %v, want ErrSlotBusy", err)
	}
	s, err := Insert(ctx, v.addr(), &recCard{})
	if err != nil {
		t.Fatalf("slot not free after Release: %v", err)
	}
	_ = s.Remove()
}
