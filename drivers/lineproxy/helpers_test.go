package lineproxy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// bench is an emulated line with the DUT's end opened as a DUT would.
type bench struct {
	e            *Emulated
	harness, dut serial.Port
}

func newBench(t *testing.T, opt Options) *bench {
	t.Helper()
	e, err := NewEmulated(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	dut, err := serial.Open(e.DUTPath(), serial.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dut.Close() })
	return &bench{e: e, harness: e.HarnessPort(), dut: dut}
}

// readN reads exactly n bytes from p within d.
func readN(t *testing.T, p serial.Port, n int, d time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	got := make([]byte, 0, n)
	buf := make([]byte, 4096)
	for len(got) < n {
		k, err := p.Read(ctx, buf[:min(len(buf), n-len(got))])
		if err != nil {
			t.Fatalf("%s: read after %d of %d bytes: %v", p.Name(), len(got), n, err)
		}
		got = append(got, buf[:k]...)
	}
	return got
}

// write writes b to p in a goroutine (the line may need reading on the
// other side before it takes all of b) and returns a func that waits for
// it to finish.
func write(t *testing.T, p serial.Port, b []byte) (wait func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := p.Write(ctx, b)
		done <- err
	}()
	return func() {
		t.Helper()
		if err := <-done; err != nil {
			t.Fatalf("%s: write %d bytes: %v", p.Name(), len(b), err)
		}
	}
}

// quiet asserts nothing arrives on p for d.
func quiet(t *testing.T, p serial.Port, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	buf := make([]byte, 256)
	n, err := p.Read(ctx, buf)
	if !errors.Is(err, serial.ErrTimeout) {
		t.Fatalf("%s: want silence, got %d bytes % x (err %v)", p.Name(), n, buf[:n], err)
	}
}

// signal returns a func that closes ch once, for hooks that tell a test
// the proxy reached a point.
func signal() (fire func(), ch chan struct{}) {
	ch = make(chan struct{})
	return func() { close(ch) }, ch
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(3 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// allBytes is every byte value, times times.
func allBytes(times int) []byte {
	b := make([]byte, 0, 256*times)
	for range times {
		for v := range 256 {
			b = append(b, byte(v))
		}
	}
	return b
}

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
