package netproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
)

func TestPassThroughAndMessages(t *testing.T) {
	host, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	var mu sync.Mutex
	var seen []string
	p.OnMessage(func(d Direction, mti string) {
		mu.Lock()
		seen = append(seen, d.String()+" "+mti)
		mu.Unlock()
	})
	c := dial(t, addr)
	for range 3 {
		req := sale()
		resp, err := acquirer.Exchange(within(t, 2*time.Second), c, req)
		if err != nil || resp.ResponseCode != "00" {
			t.Fatalf("exchange: %v %v", resp, err)
		}
	}
	if got := len(host.Journal()); got != 6 {
		t.Fatalf("host journal has %d records", got)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"to_host 0200", "to_terminal 0210", "to_host 0200", "to_terminal 0210", "to_host 0200", "to_terminal 0210"}
	if !slices.Equal(seen, want) {
		t.Fatalf("messages %v, want %v", seen, want)
	}
	if s := p.Stats(); s.Accepted != 1 || s.Messages != 6 {
		t.Fatalf("stats %+v", s)
	}
}

// TestOnMessageActsOnThatMessage: a drop injected from the hook for the
// 0200 keeps that very 0200 from the host, even when the terminal writes
// it byte by byte.
func TestOnMessageActsOnThatMessage(t *testing.T) {
	host, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	p.OnMessage(func(d Direction, mti string) {
		if d == ToHost && mti == "0200" {
			p.Drop()
		}
	})
	c := dial(t, addr)
	req := sale()
	b, err := acquirer.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	frame := append([]byte{byte(len(b) >> 8), byte(len(b))}, b...)
	for i := range frame {
		if _, err := c.Write(frame[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := host.Wait(within(t, 150*time.Millisecond), isRequest(req)); !errors.Is(err, acquirer.ErrNoMatch) {
		t.Fatalf("the host got the 0200 the hook dropped: %v", err)
	}
	if s := p.Stats(); s.Dropped != len(frame) {
		t.Fatalf("dropped %d bytes, want %d", s.Dropped, len(frame))
	}
}

func TestRefuse(t *testing.T) {
	_, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	restore := p.Refuse()
	var d net.Dialer
	_, err := d.DialContext(within(t, time.Second), "tcp", addr)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: %v, want ECONNREFUSED", err)
	}
	inner := p.Refuse() // nested: still refusing after it is restored
	if err := inner(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DialContext(within(t, time.Second), "tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after the inner restore: %v", err)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	if err := restore(); err != nil {
		t.Fatalf("second restore: %v", err)
	}
	if p.Addr().String() != addr {
		t.Fatalf("address changed: %v, was %s", p.Addr(), addr)
	}
	if _, err := acquirer.Exchange(within(t, 2*time.Second), dial(t, addr), sale()); err != nil {
		t.Fatalf("after restore: %v", err)
	}
}

func TestRefuseBeforeStart(t *testing.T) {
	_, haddr := startHost(t)
	p := New(haddr, Options{})
	defer p.Close()
	restore := p.Refuse()
	addr, err := p.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var d net.Dialer
	if _, err := d.DialContext(within(t, time.Second), "tcp", addr.String()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v", err)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	if _, err := acquirer.Exchange(within(t, 2*time.Second), dial(t, addr.String()), sale()); err != nil {
		t.Fatal(err)
	}
}

func TestDrop(t *testing.T) {
	host, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	restore := p.Drop()
	req := sale()
	_, err := acquirer.Exchange(within(t, 150*time.Millisecond), dial(t, addr), req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("exchange under drop: %v, want a timeout", err)
	}
	if _, err := host.Wait(within(t, 50*time.Millisecond), isRequest(req)); !errors.Is(err, acquirer.ErrNoMatch) {
		t.Fatalf("host got a dropped request: %v", err)
	}
	restore()
	restore()
	if _, err := acquirer.Exchange(within(t, 2*time.Second), dial(t, addr), sale()); err != nil {
		t.Fatalf("after restore: %v", err)
	}
}

func TestDelay(t *testing.T) {
	_, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	restore, err := p.Delay(100 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	start := time.Now()
	if _, err := acquirer.Exchange(within(t, 2*time.Second), c, sale()); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 200*time.Millisecond || el > time.Second {
		t.Fatalf("exchange took %v, want about 200ms (request and response delayed)", el)
	}
	restore()
	start = time.Now()
	if _, err := acquirer.Exchange(within(t, 2*time.Second), c, sale()); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 100*time.Millisecond {
		t.Fatalf("after restore the exchange took %v", el)
	}
	if _, err := p.Delay(0); !errors.Is(err, ErrConfig) {
		t.Fatalf("Delay(0): %v", err)
	}
}

// TestStall: a stalled connection stays open and delivers what waited
// once the stall is restored.
func TestStall(t *testing.T) {
	host, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	c := dial(t, addr)
	restore := p.Stall()
	req := sale()
	b, _ := acquirer.Encode(req)
	if err := acquirer.WriteFrame(within(t, time.Second), c, b); err != nil {
		t.Fatal(err)
	}
	if _, err := host.Wait(within(t, 100*time.Millisecond), isRequest(req)); !errors.Is(err, acquirer.ErrNoMatch) {
		t.Fatalf("host got a stalled request: %v", err)
	}
	restore()
	rb, err := acquirer.ReadFrame(within(t, 2*time.Second), c)
	if err != nil {
		t.Fatalf("response after the stall: %v", err)
	}
	if resp, err := acquirer.Decode(rb); err != nil || resp.STAN != req.STAN {
		t.Fatalf("response %v %v", resp, err)
	}
}

func TestLatestModeDecides(t *testing.T) {
	p := New("127.0.0.1:1", Options{})
	r1 := p.Stall()
	r2 := p.Drop()
	if a := p.actionFor(); !a.drop || a.stall {
		t.Fatalf("drop after stall: %+v", a)
	}
	r2()
	if a := p.actionFor(); !a.stall {
		t.Fatalf("drop restored: %+v", a)
	}
	r1()
	if a := p.actionFor(); a.stall || a.drop {
		t.Fatalf("all restored: %+v", a)
	}
}

// TestCutMidMessage: the host sees part of the request and the end of the
// connection (ErrFrame in its journal); the terminal's exchange fails.
func TestCutMidMessage(t *testing.T) {
	host, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	restore, err := p.CutMidMessage(ToHost, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	if _, err := acquirer.Exchange(within(t, 2*time.Second), dial(t, addr), sale()); err == nil {
		t.Fatal("exchange through a cut succeeded")
	}
	r, err := host.Wait(within(t, 2*time.Second), func(r acquirer.Record) bool { return r.Err != nil })
	if err != nil || !errors.Is(r.Err, acquirer.ErrFrame) {
		t.Fatalf("host journal: %v %v", r, err)
	}
	// It acted once: the next exchange passes.
	if _, err := acquirer.Exchange(within(t, 2*time.Second), dial(t, addr), sale()); err != nil {
		t.Fatalf("second exchange: %v", err)
	}
	if s := p.Stats(); s.Cut != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCutResponse(t *testing.T) {
	_, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	if _, err := p.CutMidMessage(ToTerminal, 1); err != nil {
		t.Fatal(err)
	}
	_, err := acquirer.Exchange(within(t, 2*time.Second), dial(t, addr), sale())
	if !errors.Is(err, acquirer.ErrFrame) {
		t.Fatalf("exchange with the response cut: %v, want ErrFrame", err)
	}
}

// TestCutIsSeeded: the same seed passes the same number of bytes, always
// at least one and fewer than the message.
func TestCutIsSeeded(t *testing.T) {
	haddr, counts := rawHost(t)
	p, addr := startProxy(t, haddr)
	msg := append([]byte{0, 98}, make([]byte, 98)...)
	copy(msg[2:], "0200")
	cut := func(seed int64) int {
		if _, err := p.CutMidMessage(ToHost, seed); err != nil {
			t.Fatal(err)
		}
		c := dial(t, addr)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-counts:
			if n < 1 || n >= len(msg) {
				t.Fatalf("seed %d: host got %d of %d bytes", seed, n, len(msg))
			}
			return n
		case <-time.After(2 * time.Second):
			t.Fatal("connection not cut")
		}
		return 0
	}
	seen := map[int]bool{}
	for seed := range int64(6) {
		a, b := cut(seed), cut(seed)
		if a != b {
			t.Fatalf("seed %d: cut after %d then %d bytes", seed, a, b)
		}
		seen[a] = true
	}
	if len(seen) < 2 {
		t.Fatalf("six seeds, cut points %v", seen)
	}
}

func TestResetAll(t *testing.T) {
	_, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	c := dial(t, addr)
	if _, err := acquirer.Exchange(within(t, 2*time.Second), c, sale()); err != nil {
		t.Fatal(err)
	}
	if n := p.ResetAll(); n != 1 {
		t.Fatalf("reset %d connections", n)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after reset: %v, want ECONNRESET", err)
	}
}

func TestHostDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p, addr := startProxy(t, dead)
	c := dial(t, addr)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read: %v, want EOF", err)
	}
	if s := p.Stats(); s.Failed != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCloseWithStalledConnection(t *testing.T) {
	_, haddr := startHost(t)
	p := New(haddr, Options{})
	addr, err := p.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Stall()
	c := dial(t, addr.String())
	b, _ := acquirer.Encode(sale())
	if err := acquirer.WriteFrame(within(t, time.Second), c, b); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.Close()
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Close took %v", el)
	}
	if _, err := p.Start(t.Context(), "127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
}

// TestContextEndsProxy: the ctx given to Start bounds the proxy's life:
// when it ends, open connections close and new ones are refused.
func TestContextEndsProxy(t *testing.T) {
	_, haddr := startHost(t)
	ctx, cancel := context.WithCancel(t.Context())
	p := New(haddr, Options{})
	defer p.Close()
	addr, err := p.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr.String())
	if _, err := acquirer.Exchange(within(t, 2*time.Second), c, sale()); err != nil {
		t.Fatal(err)
	}
	cancel()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read after ctx end: %v, want EOF", err)
	}
	var d net.Dialer
	if _, err := d.DialContext(within(t, time.Second), "tcp", addr.String()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after ctx end: %v", err)
	}
}
