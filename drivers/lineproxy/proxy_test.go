package lineproxy

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/serial"
)

func TestPassThroughAllBytes(t *testing.T) {
	b := newBench(t, Options{})
	want := allBytes(4)
	wait := write(t, b.harness, want)
	if got := readN(t, b.dut, len(want), 3*time.Second); !bytes.Equal(got, want) {
		t.Fatalf("to DUT: bytes changed on the way")
	}
	wait()
	wait = write(t, b.dut, want)
	if got := readN(t, b.harness, len(want), 3*time.Second); !bytes.Equal(got, want) {
		t.Fatalf("from DUT: bytes changed on the way")
	}
	wait()
	for _, d := range []Direction{ToDUT, FromDUT} {
		c := b.e.Proxy().Counters(d)
		// Written is counted after the write returns, so it may lag.
		if c.Read != len(want) || c.Cut+c.Lost+c.Flipped != 0 {
			t.Errorf("%v: counters %+v", d, c)
		}
	}
	if got := b.e.Proxy().Total(); got != 2*len(want) {
		t.Errorf("Total = %d, want %d", got, 2*len(want))
	}
}

func TestCutDropsBothWays(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	restore := p.Cut()
	lost := []byte("lost while cut")
	// Restore once the lost bytes of both directions went through the proxy.
	fire, passed := signal()
	p.SetTrigger(2*len(lost), fire)
	write(t, b.harness, lost)()
	write(t, b.dut, lost)()
	waitFor(t, passed, "the cut bytes")
	restore()
	restore() // idempotent
	after := []byte("after")
	write(t, b.harness, after)()
	if got := readN(t, b.dut, len(after), 2*time.Second); !bytes.Equal(got, after) {
		t.Fatalf("to DUT after the cut: got %q, want %q", got, after)
	}
	write(t, b.dut, after)()
	if got := readN(t, b.harness, len(after), 2*time.Second); !bytes.Equal(got, after) {
		t.Fatalf("from DUT after the cut: got %q, want %q", got, after)
	}
	for _, d := range []Direction{ToDUT, FromDUT} {
		if c := p.Counters(d); c.Cut != len(lost) {
			t.Errorf("%v: cut %d bytes, want %d", d, c.Cut, len(lost))
		}
	}
}

func TestCutsNest(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	r1, r2 := p.Cut(), p.Cut()
	r1()
	fire, passed := signal()
	p.SetTrigger(1, fire)
	write(t, b.harness, []byte{'x'})()
	waitFor(t, passed, "one byte")
	if c := p.Counters(ToDUT); c.Cut != 1 {
		t.Fatalf("one of two cuts restored: counters %+v, want the byte cut", c)
	}
	r2()
	write(t, b.harness, []byte{'y'})()
	if got := readN(t, b.dut, 1, 2*time.Second); got[0] != 'y' {
		t.Fatalf("got %q", got)
	}
}

// TestTriggerActsOnNextByte: a trigger at n that cuts the line lets exactly
// n bytes through, even when they arrive in one chunk with more.
func TestTriggerActsOnNextByte(t *testing.T) {
	for _, n := range []int{1, 100, 299} {
		b := newBench(t, Options{})
		p := b.e.Proxy()
		var restore func()
		p.SetTrigger(n, func() { restore = p.Cut() })
		fire, passed := signal()
		p.SetTrigger(300, fire)
		data := allBytes(2)[:300]
		write(t, b.harness, data)()
		waitFor(t, passed, "300 bytes")
		restore()
		marker := []byte("Z")
		write(t, b.harness, marker)()
		got := readN(t, b.dut, n+1, 2*time.Second)
		if !bytes.Equal(got[:n], data[:n]) || got[n] != 'Z' {
			t.Fatalf("trigger at %d: got %d bytes, want the first %d then Z: % x", n, len(got), n, got)
		}
		if c := p.Counters(ToDUT); c.Cut != 300-n {
			t.Fatalf("trigger at %d: cut %d, want %d", n, c.Cut, 300-n)
		}
	}
}

func TestTriggerCountsBothDirectionsAndRemove(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	var fired sync.Mutex
	removed := false
	remove := p.SetTrigger(1, func() {
		fired.Lock()
		removed = true
		fired.Unlock()
	})
	remove()
	remove()
	fire, passed := signal()
	p.SetTrigger(4, fire)
	write(t, b.harness, []byte("ab"))()
	readN(t, b.dut, 2, 2*time.Second)
	select {
	case <-passed:
		t.Fatal("trigger at 4 fired after 2 bytes")
	default:
	}
	write(t, b.dut, []byte("cd"))()
	waitFor(t, passed, "4 bytes in both directions")
	fired.Lock()
	defer fired.Unlock()
	if removed {
		t.Fatal("a removed trigger fired")
	}
}

func TestImpairmentSettingsChecked(t *testing.T) {
	p := New(nil, nil, Options{})
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"rate 1.5", func() error { _, err := p.BitErrors(Both, 1.5, 0); return err }()},
		{"rate -0.1", func() error { _, err := p.BitErrors(Both, -0.1, 0); return err }()},
		{"no direction", func() error { _, err := p.BitErrors(0, 0.1, 0); return err }()},
		{"zero delay", func() error { _, err := p.Delay(0); return err }()},
	} {
		if !errors.Is(tc.err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", tc.name, tc.err)
		}
	}
	for _, s := range []string{"x", "TO_DUT", "up"} {
		if _, err := ParseDirection(s); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseDirection(%q) = %v", s, err)
		}
	}
	for _, d := range []Direction{ToDUT, FromDUT, Both} {
		if got, err := ParseDirection(d.String()); err != nil || got != d {
			t.Errorf("ParseDirection(%q) = %v, %v", d, got, err)
		}
	}
}

func TestDelay(t *testing.T) {
	b := newBench(t, Options{})
	restore, err := b.e.Proxy().Delay(150 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	write(t, b.harness, []byte("slow"))()
	readN(t, b.dut, 4, 2*time.Second)
	if el := time.Since(start); el < 150*time.Millisecond || el > time.Second {
		t.Fatalf("delayed 150ms, arrived after %v", el)
	}
	restore()
	start = time.Now()
	write(t, b.harness, []byte("fast"))()
	if got := readN(t, b.dut, 4, 2*time.Second); string(got) != "fast" {
		t.Fatalf("got %q", got)
	}
	if el := time.Since(start); el > 100*time.Millisecond {
		t.Fatalf("delay restored, arrived after %v", el)
	}
}

func frame(t *testing.T, kind ecr.Kind, kv ...string) []byte {
	t.Helper()
	m := ecr.Message{Kind: kind}
	for i := 0; i+1 < len(kv); i += 2 {
		m = m.With(kv[i], kv[i+1])
	}
	b, err := ecr.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOnFrameActsOnThatFrame: a cut injected from OnFrame for RESULT drops
// the RESULT frame itself; the DISPLAY before it passes whole.
func TestOnFrameActsOnThatFrame(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	var mu sync.Mutex
	var seen []Frame
	p.OnFrame(func(f Frame) {
		mu.Lock()
		seen = append(seen, f)
		mu.Unlock()
		if f.Dir == FromDUT && f.Msg.Kind == ecr.Result {
			p.Cut()
		}
	})
	display := frame(t, ecr.Display, "text", "PROCESSING", "seq", "1")
	result := frame(t, ecr.Result, "code", "APPROVED", "seq", "2")
	fire, passed := signal()
	p.SetTrigger(len(display)+len(result), fire)
	write(t, b.dut, append(append([]byte{}, display...), result...))()
	waitFor(t, passed, "both frames")
	if got := readN(t, b.harness, len(display), 2*time.Second); !bytes.Equal(got, display) {
		t.Fatalf("DISPLAY: got % x", got)
	}
	quiet(t, b.harness, 50*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Msg.Kind != ecr.Display || seen[1].Msg.Kind != ecr.Result {
		t.Fatalf("frames seen: %+v", seen)
	}
	if txt, _ := seen[0].Msg.Get("text"); txt != "PROCESSING" {
		t.Fatalf("DISPLAY text %q", txt)
	}
}

// TestOnFrameRedactsKeys: the hook never sees PIN digits; the DUT gets
// them unchanged.
func TestOnFrameRedactsKeys(t *testing.T) {
	b := newBench(t, Options{})
	got := make(chan Frame, 1)
	b.e.Proxy().OnFrame(func(f Frame) { got <- f })
	key := frame(t, ecr.Key, "keys", "1234E")
	write(t, b.harness, key)()
	if dut := readN(t, b.dut, len(key), 2*time.Second); !bytes.Equal(dut, key) {
		t.Fatalf("DUT got % x", dut)
	}
	f := <-got
	if keys, _ := f.Msg.Get("keys"); keys != "****E" || f.Dir != ToDUT {
		t.Fatalf("hook saw %v keys %q", f.Dir, keys)
	}
}

// TestUnfinishedFrameReleased: a frame that never ends is held for
// FrameHold, then passes unreported.
func TestUnfinishedFrameReleased(t *testing.T) {
	b := newBench(t, Options{FrameHold: 100 * time.Millisecond})
	called := false
	var mu sync.Mutex
	b.e.Proxy().OnFrame(func(Frame) { mu.Lock(); called = true; mu.Unlock() })
	part := []byte{ecr.STX, 'S', 'A', 'L'}
	start := time.Now()
	write(t, b.harness, part)()
	if got := readN(t, b.dut, len(part), 2*time.Second); !bytes.Equal(got, part) {
		t.Fatalf("got % x", got)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("unfinished frame passed after %v, before FrameHold", el)
	}
	mu.Lock()
	defer mu.Unlock()
	if called {
		t.Fatal("OnFrame called for an unfinished frame")
	}
}

// TestCloseWithStuckReceiver: Close returns promptly although the DUT
// reads nothing and the proxy is blocked writing to it.
func TestCloseWithStuckReceiver(t *testing.T) {
	e, err := NewEmulated(t.Context(), Options{WriteTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, _ = e.HarnessPort().Write(ctx, make([]byte, 256<<10)) // fills every buffer on the way
	start := time.Now()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Close took %v", el)
	}
}

// TestPortFailure: a port closed under the proxy is reported.
func TestPortFailure(t *testing.T) {
	a, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	bp, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	p := New(a.Port(), bp.Port(), Options{})
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(t.Context()); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start: %v", err)
	}
	bp.Close()
	select {
	case <-p.Failed():
	case <-time.After(2 * time.Second):
		t.Fatal("no failure reported")
	}
	if err := p.Err(); !errors.Is(err, ErrPort) || !errors.Is(err, serial.ErrClosed) || !strings.Contains(err.Error(), bp.Path()) {
		t.Fatalf("Err = %v", err)
	}
}
