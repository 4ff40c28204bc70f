package runner

import (
	"testing"
	"time"
)

// TestWaitClockCountsOverlapOnce: waits that overlap (a fault's goroutine
// waiting for the DUT while a step does) count once, waits outside the
// scenario's span not at all, and the overhead is what is left.
func TestWaitClockCountsOverlapOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var w waitClock
	w.span(waitDUT, at(10), at(50))     // 40
	w.span(waitCard, at(30), at(70))    // overlaps: +20
	w.span(waitTimeout, at(40), at(45)) // inside: +0
	w.span(waitDUT, at(80), at(90))     // +10
	w.span(waitDUT, at(95), at(130))    // cut at the end (100): +5
	w.span(waitDUT, at(-20), at(5))     // cut at the start (0): +5
	if got, want := w.Total(at(0), at(100)), 80*time.Millisecond; got != want {
		t.Errorf("Total = %v, want %v", got, want)
	}
	if got, want := w.overhead(at(0), at(100)), 20*time.Millisecond; got != want {
		t.Errorf("overhead = %v, want %v", got, want)
	}
	var none *waitClock
	none.since(waitDUT, at(0)) // a run without a clock (tests) records nothing
}
