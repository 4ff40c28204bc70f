package evidence

import (
	"sort"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/secrets"
)

// Sources of timeline entries: which part of the bench something happened
// on.
const (
	SourceECR    = "ecr"    // the ECR line (harness to DUT and back)
	SourceMSR    = "msr"    // the magstripe reader line
	SourceCard   = "card"   // the card: insert, remove, power, reset
	SourceHost   = "host"   // the acquirer host
	SourceFault  = "fault"  // a fault armed, injected, cleared
	SourcePower  = "power"  // the supply: sag, cut, restore
	SourcePoshil = "poshil" // the harness itself: steps, verdict
	SourceLine   = "line"   // the line and network proxies
)

// TimelineEntry is one thing that happened during a scenario.
type TimelineEntry struct {
	// At is since the scenario started.
	At     time.Duration `json:"at_ns"`
	Source string        `json:"source"`
	// Kind says what happened, short and stable for filtering: "armed",
	// "injected", "cleared", "power_on", "reset", "sag", ...
	Kind string `json:"kind"`
	// Text is for people, masked (see NewTimelineEntry).
	Text string `json:"text"`
	// Data is optional structured detail (a fault's settings, a voltage).
	// It must hold no card data.
	Data any `json:"data,omitempty"`
}

// NewTimelineEntry builds an entry at t relative to start with text
// masked by secrets.MaskText.
func NewTimelineEntry(start, t time.Time, source, kind, text string) TimelineEntry {
	return TimelineEntry{At: t.Sub(start), Source: source, Kind: kind, Text: secrets.MaskText(text)}
}

// SortTimeline orders entries by time, keeping the order of equal times.
func SortTimeline(es []TimelineEntry) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].At < es[j].At })
}

// Measurement is a number a scenario measured, with its unit and, when a
// scenario states one, its upper limit (OpenHTF style).
type Measurement struct {
	// Name is snake_case and stable: time_to_result_ms, recovery_ms,
	// apdu_max_ms, supply_min_mv.
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
	// Limit is the largest value that passes; 0 means no limit.
	Limit float64 `json:"limit,omitempty"`
}

// OK reports whether the measurement is within its limit (always true
// without one).
func (m Measurement) OK() bool { return m.Limit == 0 || m.Value <= m.Limit }

// Millis is a Measurement of d in milliseconds with limit (0: none).
func Millis(name string, d, limit time.Duration) Measurement {
	return Measurement{Name: name, Value: float64(d.Microseconds()) / 1000, Unit: "ms", Limit: float64(limit.Microseconds()) / 1000}
}

// FaultNote turns a line a fault or the schedule wrote through
// fault.Target.Note ("armed ...", "injected ...", "cleared ...", "inject
// sag failed: ...") into a timeline entry: the kind is the first word, or
// "failed" when the line reports a failure.
func FaultNote(start, at time.Time, text string) TimelineEntry {
	kind, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	kind = strings.ToLower(kind)
	if strings.Contains(text, " failed") {
		kind = "failed"
	}
	return NewTimelineEntry(start, at, SourceFault, kind, text)
}
