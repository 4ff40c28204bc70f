package lineproxy

import (
	"testing"
	"time"
)

// TestFlushDiscardsHeld: bytes a delay holds are discarded by Flush
// (what line_delay's Drop does at a scenario's end), never written late;
// bytes after the Flush pass.
func TestFlushDiscardsHeld(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	restore, err := p.Delay(300 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	fire, queued := signal()
	p.SetTrigger(4, fire)
	write(t, b.harness, []byte("held"))()
	waitFor(t, queued, "the held bytes")
	restore()
	p.Flush()
	write(t, b.harness, []byte("Z"))()
	if got := readN(t, b.dut, 1, 2*time.Second); string(got) != "Z" {
		t.Fatalf("the DUT got %q, want only what was sent after the flush", got)
	}
	quiet(t, b.dut, 400*time.Millisecond)
	if c := p.Counters(ToDUT); c.Lost != 4 || c.Written != 1 {
		t.Fatalf("counters %+v, want 4 lost and 1 written", c)
	}
}
