package runner

import (
	"slices"
	"sync"
	"time"
)

// waitKind says what a scenario was waiting on.
type waitKind int

const (
	// waitDUT: for the terminal (a message, its boot, its exit) or for
	// the host to see what the terminal sent.
	waitDUT waitKind = iota
	// waitCard: for the card reader to report an insertion or a removal,
	// for the card emulator to take a card out.
	waitCard
	// waitTimeout: for a time the scenario or the bench configures (a
	// step's wait, the settle window, a FAIL's rig check).
	waitTimeout
)

// waitClock collects the spans a scenario spent waiting on the DUT, the
// card or a configured time, from any goroutine. Spans may overlap (a
// fault's goroutine waits for the DUT while a step does); Total counts
// overlapping time once.
//
// Harness overhead is a scenario's wall time minus Total: the time poshil
// itself spent (loading and checking, building the card, starting
// processes, arming and clearing faults, the oracle, evidence and the
// safe state's resets), measured per scenario in the record as
// harness_overhead_ms (docs/speed.md).
type waitClock struct {
	mu    sync.Mutex
	spans []waitSpan
}

type waitSpan struct {
	kind       waitKind
	start, end time.Time
}

// add records a wait of d that ended now.
func (w *waitClock) add(k waitKind, d time.Duration) {
	end := time.Now()
	w.span(k, end.Add(-d), end)
}

// since records a wait that started at start and ended now.
func (w *waitClock) since(k waitKind, start time.Time) {
	w.span(k, start, time.Now())
}

// span records a wait from start to end.
func (w *waitClock) span(k waitKind, start, end time.Time) {
	if w == nil || !end.After(start) {
		return
	}
	w.mu.Lock()
	w.spans = append(w.spans, waitSpan{k, start, end})
	w.mu.Unlock()
}

// Total is the time covered by at least one wait within [from, to].
func (w *waitClock) Total(from, to time.Time) time.Duration {
	w.mu.Lock()
	spans := slices.Clone(w.spans)
	w.mu.Unlock()
	slices.SortFunc(spans, func(a, b waitSpan) int { return a.start.Compare(b.start) })
	var total time.Duration
	var cur time.Time // end of the union so far
	for _, s := range spans {
		start, end := s.start, s.end
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if start.Before(cur) {
			start = cur
		}
		if end.After(start) {
			total += end.Sub(start)
			cur = end
		}
	}
	return total
}

// overhead is the scenario's wall time from started to ended minus the
// time it waited.
func (w *waitClock) overhead(started, ended time.Time) time.Duration {
	return ended.Sub(started) - w.Total(started, ended)
}

// OverheadMeasurement names the harness overhead among a scenario's
// measurements (verdict.Evidence.Measurements), in milliseconds.
const OverheadMeasurement = "harness_overhead_ms"
