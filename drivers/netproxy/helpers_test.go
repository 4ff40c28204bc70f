package netproxy

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
)

func startHost(t *testing.T) (*acquirer.Server, string) {
	t.Helper()
	s, err := acquirer.NewServer(acquirer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := s.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, addr.String()
}

func startProxy(t *testing.T, target string) (*Proxy, string) {
	t.Helper()
	p := New(target, Options{})
	addr, err := p.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, addr.String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

var stanSeq = 100

func sale() *acquirer.Txn {
	stanSeq++
	now := time.Now()
	return &acquirer.Txn{
		MTI:              "0200",
		PAN:              "4761739001010119",
		ProcessingCode:   "000000",
		Amount:           2000,
		TransmissionTime: now.UTC(),
		STAN:             stanSeq,
		LocalTime:        now,
		TerminalID:       "TERM0001",
		MerchantID:       "MERCHANT0000001",
		Currency:         "978",
	}
}

// isRequest matches the host's journal record of req.
func isRequest(req *acquirer.Txn) func(acquirer.Record) bool {
	return func(r acquirer.Record) bool {
		return r.Dir == acquirer.In && r.Txn != nil && r.Txn.STAN == req.STAN
	}
}

// rawHost is a TCP server that counts the bytes of each connection until
// the peer closes it.
func rawHost(t *testing.T) (addr string, counts <-chan int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan int, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				n := 0
				buf := make([]byte, 4096)
				for {
					k, err := c.Read(buf)
					n += k
					if err != nil {
						ch <- n
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), ch
}
