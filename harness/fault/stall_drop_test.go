package fault_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/harness/fault"
)

// stallBench is a terminal connected through a real netproxy to a host
// that reports every byte it receives.
type stallBench struct {
	proxy    *netproxy.Proxy
	terminal net.Conn
	received chan []byte // what the host read, chunk by chunk; closed at EOF
}

func newStallBench(t *testing.T) *stallBench {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	received := make(chan []byte, 64)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(received)
			return
		}
		defer c.Close()
		defer close(received)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				received <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				return
			}
		}
	}()
	p := netproxy.New(ln.Addr().String(), netproxy.Options{})
	addr, err := p.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var d net.Dialer
	c, err := d.DialContext(t.Context(), "tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &stallBench{proxy: p, terminal: c, received: received}
}

// message is a length-prefixed ISO 8583-like message with MTI mti.
func message(mti string) []byte {
	body := []byte(mti + "authorisation request")
	return append([]byte{0, byte(len(body))}, body...)
}

// send writes a message from the terminal.
func (b *stallBench) send(t *testing.T, mti string) {
	t.Helper()
	_ = b.terminal.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := b.terminal.Write(message(mti)); err != nil {
		t.Fatal(err)
	}
}

// hostGets waits for the host to have read want bytes, or its end.
func (b *stallBench) hostGets(t *testing.T, want int) (got int, eof bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for got < want {
		select {
		case c, ok := <-b.received:
			if !ok {
				return got, true
			}
			got += len(c)
		case <-deadline:
			return got, false
		}
	}
	return got, false
}

// stalledAt arms net_stall on MTI 0200 and sends one 0200 through it;
// it returns once the stall holds the message in the proxy.
func stalledAt(t *testing.T, spec string) (*stallBench, *fault.Schedule) {
	t.Helper()
	b := newStallBench(t)
	notes := make(chan string, 64)
	tg := &notingTarget{proxyTarget: proxyTarget{net: b.proxy}, notes: notes}
	s := fault.NewSchedule(context.Background(), tg)
	specs := proxySpecs(t, spec)
	if err := s.Arm(t.Context(), &specs[0]); err != nil {
		t.Fatal(err)
	}
	b.proxy.OnMessage(func(d netproxy.Direction, mti string) {
		if d == netproxy.ToHost {
			s.Notify(fault.Event{Kind: fault.EventMTI, MTI: mti})
		}
	})
	b.send(t, "0200")
	deadline := time.After(5 * time.Second)
	for { // the stall is in force once noted
		select {
		case n := <-notes:
			if n == "injected net_stall (on MTI 0200)" {
				return b, s
			}
		case <-deadline:
			t.Fatal("the stall never fired")
		}
	}
}

// notingTarget is a proxyTarget whose notes go to a channel.
type notingTarget struct {
	proxyTarget
	notes chan string
}

func (t *notingTarget) Note(f string, a ...any) {
	select {
	case t.notes <- fmt.Sprintf(f, a...):
	default:
	}
}

// TestStallDroppedByClearAll: a stall holding an authorisation when the
// scenario ends (or is aborted) is dropped: the host never gets a byte
// of it, and the terminal's connection is closed.
func TestStallDroppedByClearAll(t *testing.T) {
	b, s := stalledAt(t, "faults:\n  - net_stall: {}\n    when: {mti: \"0200\"}\n")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := s.ClearAll(ctx); err != nil {
		t.Fatal(err)
	}
	got, eof := b.hostGets(t, 1)
	if got != 0 || !eof {
		t.Fatalf("after ClearAll the host read %d bytes (end of stream: %v), want none and the connection closed", got, eof)
	}
	_ = b.terminal.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := b.terminal.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("terminal's connection: %v, want it closed", err)
	}
	if st := b.proxy.Stats(); st.Discarded != 1 {
		t.Errorf("stats %+v, want one connection discarded", st)
	}
}

// TestStallReleasedByClearStep: a clear step (and a for: expiry) ends
// the stall in the scenario's course: what it held reaches the host.
func TestStallReleasedByClearStep(t *testing.T) {
	b, s := stalledAt(t, "faults:\n  - net_stall: {}\n    when: {mti: \"0200\"}\n")
	if err := s.Clear(t.Context(), "net_stall"); err != nil {
		t.Fatal(err)
	}
	want := len(message("0200"))
	if got, _ := b.hostGets(t, want); got != want {
		t.Fatalf("after the clear step the host read %d bytes, want %d", got, want)
	}
	if err := s.ClearAll(t.Context()); err != nil {
		t.Fatal(err)
	}
}
