package ecr

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// fast are link options that keep integration tests quick.
var fast = LinkOptions{AckTimeout: 80 * time.Millisecond, Retries: 3, InterFrameTimeout: 150 * time.Millisecond}

// recorder is a Tap that keeps events and lets a test wait for one.
type recorder struct {
	mu     sync.Mutex
	events []TapEvent
	poke   chan struct{}
}

func newRecorder() *recorder { return &recorder{poke: make(chan struct{}, 1)} }

func (r *recorder) tap(ev TapEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

func (r *recorder) count(dir Direction, kind TapKind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.Dir == dir && ev.Kind == kind {
			n++
		}
	}
	return n
}

func (r *recorder) all() []TapEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]TapEvent(nil), r.events...)
}

// waitFor waits until n events of dir/kind were seen, or fails after d.
func (r *recorder) waitFor(t *testing.T, dir Direction, kind TapKind, n int, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for r.count(dir, kind) < n {
		select {
		case <-r.poke:
		case <-deadline.C:
			t.Fatalf("no %d× %s %s within %v; events: %v", n, dir, kind, d, r.all())
		}
	}
}

// ptyPair is a PTY whose master is returned as one end and whose slave is
// opened with serial.Open as the other, like harness and DUT.
func ptyPair(t *testing.T) (*serial.PTY, serial.Port, serial.Port) {
	t.Helper()
	p, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	s, err := serial.Open(p.Path(), serial.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return p, p.Port(), s
}

func newLink(t *testing.T, p serial.Port, opt LinkOptions, r *recorder) *Link {
	t.Helper()
	if r != nil {
		opt.Tap = r.tap
	}
	l := NewLink(p, opt)
	t.Cleanup(func() { l.Close() })
	return l
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// mangler decides, byte by byte, what a proxy forwards.
type mangler func(b byte) (out byte, keep bool)

// proxy copies bytes between two ports both ways until the test ends,
// passing each byte through the direction's mangler (nil: unchanged). It
// is the "cable" between two PTYs where a test injects line faults.
func proxy(t *testing.T, a, b serial.Port, aToB, bToA mangler) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	pump := func(src, dst serial.Port, m mangler) {
		defer wg.Done()
		buf := make([]byte, 256)
		for {
			n, err := src.Read(ctx, buf)
			if err != nil {
				return
			}
			out := buf[:0]
			for _, c := range buf[:n] {
				if m != nil {
					var keep bool
					if c, keep = m(c); !keep {
						continue
					}
				}
				out = append(out, c)
			}
			if _, err := dst.Write(ctx, out); err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump(a, b, aToB)
	go pump(b, a, bToA)
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// proxied is two links joined through a proxy: A on one PTY, B on another.
func proxied(t *testing.T, aToB, bToA mangler, ra, rb *recorder) (*Link, *Link) {
	_, am, as := ptyPair(t)
	_, bm, bs := ptyPair(t)
	proxy(t, as, bs, aToB, bToA)
	return newLink(t, am, proxyOpts, ra), newLink(t, bm, proxyOpts, rb)
}

// proxyOpts leave room for the proxy hop on a loaded machine, so a NAK
// arrives before the ACK timeout.
var proxyOpts = LinkOptions{AckTimeout: 250 * time.Millisecond, Retries: 3, InterFrameTimeout: 500 * time.Millisecond}
