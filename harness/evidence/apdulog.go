package evidence

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/harness/secrets"
)

// MaxAPDUs bounds an APDULog: a DUT looping on the card cannot fill the
// memory; later APDUs are counted, not kept.
const MaxAPDUs = 5000

// APDULog records a scenario's APDUs as masked entries, and the card's
// power events as timeline entries. It is safe for concurrent use.
type APDULog struct {
	start time.Time

	mu      sync.Mutex
	dec     Decoder
	entries []APDUEntry
	events  []TimelineEntry
	dropped int
}

// NewAPDULog starts a log for a scenario that started at start.
func NewAPDULog(start time.Time) *APDULog { return &APDULog{start: start} }

// Add records one exchange: the command arrived at at and was answered
// (rapdu, or err when the card gave no answer) took later. The raw bytes
// are decoded and masked at once; nothing of them is kept.
func (l *APDULog) Add(at time.Time, took time.Duration, capdu, rapdu []byte, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.dec.Decode(capdu, rapdu)
	e.At, e.Took = at.Sub(l.start), took
	if err != nil {
		e.Error = joinErr(e.Error, secrets.MaskText(err.Error()))
		e.Class = ClassError
	} else if rapdu == nil {
		e.Error = joinErr(e.Error, "no answer")
	}
	if len(l.entries) >= MaxAPDUs {
		l.dropped++
		return
	}
	l.entries = append(l.entries, e)
}

// Event records a card event (power on, reset, removed) on the timeline.
func (l *APDULog) Event(at time.Time, kind, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, NewTimelineEntry(l.start, at, SourceCard, kind, text))
}

// Entries returns a copy of the APDUs recorded so far; when more than
// MaxAPDUs came, the last entry says how many were dropped.
func (l *APDULog) Entries() []APDUEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]APDUEntry(nil), l.entries...)
	if l.dropped > 0 {
		out = append(out, APDUEntry{Command: "dropped", Class: ClassWarning,
			Error: fmt.Sprintf("%d more APDUs not kept (limit %d)", l.dropped, MaxAPDUs)})
	}
	return out
}

// Timeline returns a copy of the card events recorded so far.
func (l *APDULog) Timeline() []TimelineEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]TimelineEntry(nil), l.events...)
}

// Tap wraps a vpcd card so that every APDU it answers, and every power
// event, is recorded in log. Put it between the slot and the card, around
// everything that can change an answer (fault hooks live inside the card,
// so they are seen): the log then shows what the reader really got.
func Tap(card vpcd.Card, log *APDULog) vpcd.Card { return &tap{card: card, log: log} }

type tap struct {
	card vpcd.Card
	log  *APDULog
}

// ATR passes the card's answer to reset through.
func (t *tap) ATR() []byte { return t.card.ATR() }

// Power records the event, then passes it on.
func (t *tap) Power(ev vpcd.PowerEvent) {
	kind := map[vpcd.PowerEvent]string{vpcd.PowerOff: "power_off", vpcd.PowerOn: "power_on", vpcd.Reset: "reset"}[ev]
	if kind == "" {
		kind = fmt.Sprintf("event_%02x", byte(ev))
	}
	t.log.Event(time.Now(), kind, "card "+kind)
	t.card.Power(ev)
}

// Transmit passes the command on and records the exchange.
func (t *tap) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	at := time.Now()
	r, err := t.card.Transmit(ctx, capdu)
	t.log.Add(at, time.Since(at), capdu, r, err)
	return r, err
}
