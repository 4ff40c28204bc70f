package netproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/hosttls"
)

// tlsBench is a TLS host behind a TLS-terminating proxy, both sharing one
// Front, as the rig wires them.
func tlsBench(t *testing.T) (*acquirer.Server, *Proxy, *hosttls.Front, string) {
	t.Helper()
	set, err := hosttls.Test()
	if err != nil {
		t.Fatal(err)
	}
	f := hosttls.NewFront(set)
	host, err := acquirer.NewServer(acquirer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	host.ServeTLS(f)
	haddr, err := host.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close() })
	p := New(haddr.String(), Options{Front: f, Back: f.BackConfig()})
	addr, err := p.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return host, p, f, addr.String()
}

// dialTLS connects as the reference terminal does: the test CA, the
// host's name, TLS 1.2 and later.
func dialTLS(t *testing.T, addr string, verify bool) (net.Conn, error) {
	t.Helper()
	set, _ := hosttls.Test()
	cfg := &tls.Config{RootCAs: set.Pool(), ServerName: hosttls.ServerName, MinVersion: tls.VersionTLS12, InsecureSkipVerify: !verify}
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(within(t, 2*time.Second), "tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, nil
}

// Through TLS the proxy still sees each message's MTI before it passes,
// and the host answers.
func TestTLSPassThroughAndMessages(t *testing.T) {
	host, p, f, addr := tlsBench(t)
	var mu sync.Mutex
	var seen []string
	p.OnMessage(func(d Direction, mti string) {
		mu.Lock()
		seen = append(seen, d.String()+" "+mti)
		mu.Unlock()
	})
	c, err := dialTLS(t, addr, true)
	if err != nil {
		t.Fatal(err)
	}
	req := sale()
	if _, err := acquirer.Exchange(within(t, 2*time.Second), c, req); err != nil {
		t.Fatal(err)
	}
	if _, err := host.Wait(within(t, time.Second), isRequest(req)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "to_host 0200" || seen[1] != "to_terminal 0210" {
		t.Errorf("messages seen %q", seen)
	}
	if f.Plain() != 0 {
		t.Errorf("plain %d", f.Plain())
	}
}

// Drop, stall and cut act on the messages inside TLS.
func TestTLSFaults(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		host, p, _, addr := tlsBench(t)
		restore := p.Drop()
		defer restore()
		c, err := dialTLS(t, addr, true)
		if err != nil {
			t.Fatalf("handshake under drop: %v", err)
		}
		req := sale()
		if _, err := acquirer.Exchange(within(t, 200*time.Millisecond), c, req); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("exchange under drop: %v, want a timeout", err)
		}
		if _, err := host.Wait(within(t, 50*time.Millisecond), isRequest(req)); !errors.Is(err, acquirer.ErrNoMatch) {
			t.Fatalf("host got a dropped request: %v", err)
		}
	})
	t.Run("stall", func(t *testing.T) {
		host, p, _, addr := tlsBench(t)
		c, err := dialTLS(t, addr, true)
		if err != nil {
			t.Fatal(err)
		}
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
		if _, err := acquirer.ReadFrame(within(t, 2*time.Second), c); err != nil {
			t.Fatalf("response after the stall: %v", err)
		}
	})
	t.Run("cut", func(t *testing.T) {
		host, p, _, addr := tlsBench(t)
		if _, err := p.CutMidMessage(ToHost, 1); err != nil {
			t.Fatal(err)
		}
		c, err := dialTLS(t, addr, true)
		if err != nil {
			t.Fatal(err)
		}
		req := sale()
		if _, err := acquirer.Exchange(within(t, 2*time.Second), c, req); err == nil {
			t.Fatal("exchange through a cut succeeded")
		}
		if _, err := host.Wait(within(t, 50*time.Millisecond), isRequest(req)); !errors.Is(err, acquirer.ErrNoMatch) {
			t.Fatalf("host decoded a cut request: %v", err)
		}
		if p.Stats().Cut != 1 {
			t.Errorf("stats %+v", p.Stats())
		}
	})
	t.Run("reset", func(t *testing.T) {
		_, p, _, addr := tlsBench(t)
		c, err := dialTLS(t, addr, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := acquirer.Exchange(within(t, 2*time.Second), c, sale()); err != nil {
			t.Fatal(err)
		}
		if n := p.ResetAll(); n != 1 {
			t.Fatalf("reset %d connections, want 1", n)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("read after reset: %v, want a reset (RST, not a TLS close)", err)
		}
	})
}

// A plain-TCP connection to the TLS proxy is counted and never reaches
// the host; a bad certificate in force is refused by a verifying client
// while the proxy's own link to the host still works.
func TestTLSPlainAndBadCert(t *testing.T) {
	host, _, f, addr := tlsBench(t)
	req := sale()
	if _, err := acquirer.Exchange(within(t, time.Second), dial(t, addr), req); err == nil {
		t.Fatal("plain TCP exchange through the TLS proxy succeeded")
	}
	if f.Plain() != 1 {
		t.Errorf("plain %d, want 1", f.Plain())
	}
	if _, err := host.Wait(within(t, 50*time.Millisecond), isRequest(req)); !errors.Is(err, acquirer.ErrNoMatch) {
		t.Fatalf("host got a plain request: %v", err)
	}
	restore, err := f.Use(hosttls.WrongCA)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	if _, err := dialTLS(t, addr, true); err == nil {
		t.Fatal("a verifying client accepted the wrong CA's certificate")
	}
	c, err := dialTLS(t, addr, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acquirer.Exchange(within(t, 2*time.Second), c, sale()); err != nil {
		t.Fatalf("the proxy's link to the host broke under the fault: %v", err)
	}
}
