package netproxy

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
)

// TestOnMessagePanicRecovered: a hook that panics does not kill the
// process; the message passes, and Err reports the panic with its stack.
func TestOnMessagePanicRecovered(t *testing.T) {
	host, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	p.OnMessage(func(Direction, string) { panic("hook bug") })
	c := dial(t, addr)
	req := sale()
	b, err := acquirer.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := acquirer.WriteFrame(within(t, time.Second), c, b); err != nil {
		t.Fatal(err)
	}
	if _, err := host.Wait(within(t, 2*time.Second), isRequest(req)); err != nil {
		t.Fatalf("the message did not pass after the hook panicked: %v", err)
	}
	err = p.Err()
	if !errors.Is(err, ErrHook) || !strings.Contains(err.Error(), "hook bug") || !strings.Contains(err.Error(), "goroutine ") {
		t.Fatalf("Err: %v, want ErrHook with the panic and its stack", err)
	}
}

// TestDiscardDropsStalled: Discard before a stall ends closes the
// connection: the host gets nothing of what the stall held, and the
// terminal sees its connection closed.
func TestDiscardDropsStalled(t *testing.T) {
	host, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	seen := make(chan struct{}, 1)
	p.OnMessage(func(Direction, string) { seen <- struct{}{} })
	c := dial(t, addr)
	restore := p.Stall()
	req := sale()
	b, _ := acquirer.Encode(req)
	if err := acquirer.WriteFrame(within(t, time.Second), c, b); err != nil {
		t.Fatal(err)
	}
	select { // the proxy holds the message once its hook saw it
	case <-seen:
	case <-time.After(2 * time.Second):
		t.Fatal("the proxy never saw the message")
	}
	if n := p.Discard(); n != 1 {
		t.Fatalf("Discard closed %d connections, want 1", n)
	}
	restore()
	if _, err := host.Wait(within(t, 200*time.Millisecond), isRequest(req)); !errors.Is(err, acquirer.ErrNoMatch) {
		t.Fatalf("the host got the request the stall held: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	// EOF, or a reset when the proxy closed with bytes it had not read.
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("terminal read %v, want its connection closed", err)
	}
	if s := p.Stats(); s.Discarded != 1 {
		t.Fatalf("stats %+v", s)
	}
}
