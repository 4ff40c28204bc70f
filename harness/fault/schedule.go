package fault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// EventKind classifies bench events that triggers match.
type EventKind int

// Event kinds.
const (
	EventAPDU  EventKind = iota + 1 // the card received a C-APDU
	EventMTI                        // the DUT sent an ISO 8583 message
	EventECR                        // the DUT sent an ECR message
	EventBytes                      // bytes crossed the ECR line
)

// Event is something that happened on the bench.
type Event struct {
	Kind  EventKind
	INS   byte   // EventAPDU
	MTI   string // EventMTI
	ECR   string // EventECR: message kind
	Text  string // EventECR: DISPLAY text
	Bytes int    // EventBytes: total so far
}

// armed is a spec waiting for its trigger or active.
type armed struct {
	spec    *Spec
	ins     byte
	anyINS  bool
	seen    int // matching APDUs so far
	fired   bool
	cleared bool
	timer   *time.Timer
	due     time.Time // when a fired fault's `for` ends (its timed Clear)
}

// Schedule arms a scenario's faults, fires them on their triggers and
// clears them. ClearAll is the runner's guarantee: it clears every fault
// that fired, stops every timer, and leaves nothing pending.
type Schedule struct {
	t   Target
	ctx context.Context

	mu     sync.Mutex
	specs  []*armed
	errs   []error
	closed bool
}

// NewSchedule returns a schedule acting on t; ctx bounds injections that
// fire from events and timers.
func NewSchedule(ctx context.Context, t Target) *Schedule {
	return &Schedule{t: t, ctx: ctx}
}

// Arm registers spec: an immediate trigger injects now (its error is
// returned), a timed one starts its timer, an event one waits for Notify.
func (s *Schedule) Arm(ctx context.Context, spec *Spec) error {
	a := &armed{spec: spec, anyINS: true}
	if m := spec.When.APDU; m != nil {
		ins, ok, err := m.INSByte()
		if err != nil {
			return err
		}
		a.ins, a.anyINS = ins, !ok
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("fault %s: schedule already cleared", spec.ID)
	}
	s.specs = append(s.specs, a)
	s.mu.Unlock()
	switch {
	case spec.When.Immediate():
		return s.fire(ctx, a, "at once")
	case spec.When.After > 0:
		s.mu.Lock()
		a.timer = time.AfterFunc(spec.When.After, func() { s.fireAsync(a, spec.When.String()) })
		s.mu.Unlock()
	}
	s.t.Note("armed %s", spec)
	return nil
}

// Notify delivers a bench event; specs whose trigger matches are injected
// before Notify returns, so the fault acts before the next message.
func (s *Schedule) Notify(ev Event) {
	s.mu.Lock()
	var due []*armed
	for _, a := range s.specs {
		if a.fired || a.cleared || !matches(a, ev) {
			continue
		}
		due = append(due, a)
	}
	s.mu.Unlock()
	for _, a := range due {
		s.fireAsync(a, a.spec.When.String())
	}
}

// matches reports whether ev fires a; it counts APDUs for nth (s.mu held).
func matches(a *armed, ev Event) bool {
	w := a.spec.When
	switch {
	case w.APDU != nil && ev.Kind == EventAPDU:
		if !a.anyINS && ev.INS != a.ins {
			return false
		}
		a.seen++
		return a.seen >= max(w.APDU.Nth, 1)
	case w.MTI != "" && ev.Kind == EventMTI:
		return ev.MTI == w.MTI
	case w.ECR != "" && ev.Kind == EventECR:
		return strings.EqualFold(ev.ECR, w.ECR) && strings.Contains(strings.ToUpper(ev.Text), strings.ToUpper(w.Text))
	case w.Bytes > 0 && ev.Kind == EventBytes:
		return ev.Bytes >= w.Bytes
	}
	return false
}

func (s *Schedule) fireAsync(a *armed, why string) {
	if err := s.fire(s.ctx, a, why); err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
}

// fire injects a once and starts its duration timer.
func (s *Schedule) fire(ctx context.Context, a *armed, why string) error {
	s.mu.Lock()
	if a.fired || a.cleared || s.closed {
		s.mu.Unlock()
		return nil
	}
	a.fired = true
	s.mu.Unlock()
	if err := a.spec.Fault.Inject(ctx, s.t); err != nil {
		s.t.Note("inject %s failed: %v", a.spec.Name, err)
		return fmt.Errorf("fault %s: inject: %w", a.spec.ID, err)
	}
	s.t.Note("injected %s (%s)", a.spec.Name, why)
	if d := a.spec.For; d > 0 {
		s.mu.Lock()
		a.due = time.Now().Add(d)
		a.timer = time.AfterFunc(d, func() {
			if err := s.clear(s.ctx, a); err != nil {
				s.mu.Lock()
				s.errs = append(s.errs, err)
				s.mu.Unlock()
			}
		})
		s.mu.Unlock()
	}
	return nil
}

// Clear clears the faults whose ID is id.
func (s *Schedule) Clear(ctx context.Context, id string) error {
	s.mu.Lock()
	var hit []*armed
	for _, a := range s.specs {
		if a.spec.ID == id {
			hit = append(hit, a)
		}
	}
	s.mu.Unlock()
	if len(hit) == 0 {
		return fmt.Errorf("clear %s: no such fault in this scenario", id)
	}
	var errs []error
	for _, a := range hit {
		errs = append(errs, s.clear(ctx, a))
	}
	return errors.Join(errs...)
}

func (s *Schedule) clear(ctx context.Context, a *armed) error {
	s.mu.Lock()
	if a.timer != nil {
		a.timer.Stop()
	}
	if a.cleared {
		s.mu.Unlock()
		return nil
	}
	a.cleared = true
	fired := a.fired
	s.mu.Unlock()
	if !fired {
		return nil
	}
	if err := a.spec.Fault.Clear(ctx, s.t); err != nil {
		s.t.Note("clear %s failed: %v", a.spec.Name, err)
		return fmt.Errorf("fault %s: clear: %w", a.spec.ID, err)
	}
	s.t.Note("cleared %s", a.spec.Name)
	return nil
}

// PendingUntil is when the last timed Clear of a fault that fired is due
// (its `for` ends, and what it held, such as stalled data, goes on): until
// then the bench may still act on its own. Zero when no fault that fired
// waits for a timed Clear. Faults still waiting for their trigger are not
// pending: they may never fire.
func (s *Schedule) PendingUntil() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last time.Time
	for _, a := range s.specs {
		if a.fired && !a.cleared && a.due.After(last) {
			last = a.due
		}
	}
	return last
}

// Err returns the errors of injections that fired from events or timers.
func (s *Schedule) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// ClearAll stops every timer and clears every fault that fired, in
// reverse order of arming. Nothing fires afterwards.
func (s *Schedule) ClearAll(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	specs := append([]*armed(nil), s.specs...)
	s.mu.Unlock()
	var errs []error
	for i := len(specs) - 1; i >= 0; i-- {
		errs = append(errs, s.clear(ctx, specs[i]))
	}
	return errors.Join(errs...)
}
