package lineproxy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// TestHookPanicsRecovered: an OnFrame hook and a byte trigger that panic
// do not kill the process: the bytes still pass, Err reports ErrHook with
// the stack, and Failed is closed so the runner can call it a bench error.
func TestHookPanicsRecovered(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(p *Proxy)
	}{
		{"OnFrame", func(p *Proxy) { p.OnFrame(func(Frame) { panic("frame hook bug") }) }},
		{"trigger", func(p *Proxy) { p.SetTrigger(1, func() { panic("trigger bug") }) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, Options{})
			p := b.e.Proxy()
			tc.set(p)
			display := frame(t, ecr.Display, "text", "PROCESSING", "seq", "1")
			write(t, b.dut, display)()
			if got := readN(t, b.harness, len(display), 2*time.Second); !bytes.Equal(got, display) {
				t.Fatalf("after the panic the harness got % x, want the frame", got)
			}
			select {
			case <-p.Failed():
			case <-time.After(2 * time.Second):
				t.Fatal("Failed not closed")
			}
			if err := p.Err(); !errors.Is(err, ErrHook) || !strings.Contains(err.Error(), "bug") || !strings.Contains(err.Error(), "goroutine ") {
				t.Fatalf("Err: %v, want ErrHook with the panic and its stack", err)
			}
		})
	}
}
