package fault

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
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

// ErrStuck reports an Inject or Clear that did not finish within the
// context ClearAll (or Clear) was given: the fault may still be active,
// and the runner reports the scenario as BENCH_ERROR.
var ErrStuck = errors.New("fault operation did not finish in time")

// armed is the run's copy of a spec, waiting for its trigger or active.
type armed struct {
	spec    Spec // spec.Fault is the run's own instance
	ins     byte
	anyINS  bool
	seen    int // matching APDUs so far
	fired   bool
	cleared bool
	timer   *time.Timer
	due     time.Time // when a fired fault's `for` ends (its timed Clear)
	// op is held while an Inject or Clear of this fault runs: the two
	// never overlap, and ClearAll waits for one in flight.
	op chan struct{}
}

// Schedule arms a scenario's faults, fires them on their triggers and
// clears them. ClearAll is the runner's guarantee: it waits for any
// Inject or Clear in flight, stops every timer, drops every fault that
// fired, and leaves nothing pending.
//
// Every goroutine a Schedule starts (timers, injections and clears)
// recovers a panic: it becomes an error wrapping ErrPanic (Err, or the
// call's own result) with the stack on the fault timeline, and the fault
// still gets its Clear.
type Schedule struct {
	t      Target
	ctx    context.Context // for injections from events and timers; ends with ClearAll
	cancel context.CancelFunc
	parent context.Context // NewSchedule's: drops of injections that return after ClearAll

	mu     sync.Mutex
	specs  []*armed
	errs   []error
	closed bool
}

// NewSchedule returns a schedule acting on t; ctx bounds injections that
// fire from events and timers (ClearAll ends them too).
func NewSchedule(ctx context.Context, t Target) *Schedule {
	sctx, cancel := context.WithCancel(ctx)
	return &Schedule{t: t, ctx: sctx, cancel: cancel, parent: ctx}
}

// Arm registers spec with the run's own instance of its fault (see
// Instance): an immediate trigger injects now (its error is returned), a
// timed one starts its timer, an event one waits for Notify. Arm never
// changes spec nor spec.Fault, so one spec can be armed by many runs.
func (s *Schedule) Arm(ctx context.Context, spec *Spec) error {
	a := &armed{spec: *spec, anyINS: true, op: make(chan struct{}, 1)}
	if spec.Fault == nil {
		return fmt.Errorf("fault %s: no fault in the spec", spec.ID)
	}
	a.spec.Fault = Instance(spec.Fault)
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
	if w := a.spec.When; w.After > 0 {
		why := w.String()
		a.timer = time.AfterFunc(w.After, func() {
			defer s.recoverTo("timer " + a.spec.ID)
			_ = s.fire(s.ctx, a, why, true)
		})
	}
	s.mu.Unlock()
	if a.spec.When.Immediate() {
		return s.fire(ctx, a, "at once", false)
	}
	s.safeNote("armed %s", &a.spec)
	return nil
}

// Notify delivers a bench event; specs whose trigger matches are injected
// before Notify returns, so the fault acts before the next message. A
// panic on the way is recovered and recorded (see Err).
func (s *Schedule) Notify(ev Event) {
	defer s.recoverTo("notify")
	s.mu.Lock()
	var due []*armed
	for _, a := range s.specs {
		if a.fired || a.cleared || s.closed || !matches(a, ev) {
			continue
		}
		due = append(due, a)
	}
	s.mu.Unlock()
	for _, a := range due {
		_ = s.fire(s.ctx, a, a.spec.When.String(), true)
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

// fire injects a once and starts its duration timer. If ClearAll came
// and gave up waiting while Inject ran, fire drops the fault at once:
// nothing stays in force after ClearAll. detached: see exclusive.
func (s *Schedule) fire(ctx context.Context, a *armed, why string, detached bool) error {
	return s.exclusive(ctx, a, "inject", detached, func() error {
		s.mu.Lock()
		if a.fired || a.cleared || s.closed {
			s.mu.Unlock()
			return nil
		}
		a.fired = true
		s.mu.Unlock()
		err := s.call(a, "inject", func() error { return a.spec.Fault.Inject(ctx, s.t) })
		s.mu.Lock()
		late := s.closed && !a.cleared
		if late {
			a.cleared = true
		} else if d := a.spec.For; d > 0 && err == nil {
			a.due = time.Now().Add(d)
			a.timer = time.AfterFunc(d, func() {
				defer s.recoverTo("for " + a.spec.ID)
				_ = s.clear(s.ctx, a, false, true)
			})
		}
		s.mu.Unlock()
		if late {
			s.safeNote("%s: injected after the schedule was cleared; dropping it", a.spec.Name)
			return errors.Join(err, s.end(s.parent, a, true))
		}
		if err != nil {
			s.safeNote("inject %s failed: %v", a.spec.Name, err)
			return fmt.Errorf("fault %s: inject: %w", a.spec.ID, err)
		}
		s.safeNote("injected %s (%s)", a.spec.Name, why)
		return nil
	})
}

// Clear ends the faults whose ID is id, as a scenario's clear step does:
// it releases what they hold (see Dropper).
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
		errs = append(errs, s.clear(ctx, a, false, false))
	}
	return errors.Join(errs...)
}

// clear ends a once, if it fired; drop discards what it holds.
// detached: see exclusive.
func (s *Schedule) clear(ctx context.Context, a *armed, drop, detached bool) error {
	return s.exclusive(ctx, a, "clear", detached, func() error {
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
		return s.end(ctx, a, drop)
	})
}

// end runs the fault's Drop (drop, when it has one) or Clear.
func (s *Schedule) end(ctx context.Context, a *armed, drop bool) error {
	how, fn := "clear", a.spec.Fault.Clear
	if d, ok := a.spec.Fault.(Dropper); ok && drop {
		how, fn = "drop", d.Drop
	}
	if err := s.call(a, how, func() error { return fn(ctx, s.t) }); err != nil {
		s.safeNote("%s %s failed: %v", how, a.spec.Name, err)
		return fmt.Errorf("fault %s: %s: %w", a.spec.ID, how, err)
	}
	if drop && how == "clear" {
		s.safeNote("cleared %s (holds nothing to drop)", a.spec.Name)
	} else {
		s.safeNote("%s %s", map[string]string{"clear": "cleared", "drop": "dropped"}[how], a.spec.Name)
	}
	return nil
}

// exclusive runs fn while holding a's op, in a goroutine of its own, and
// waits for it within ctx: it returns ErrStuck when the op cannot be
// taken, or fn does not return, before ctx ends. fn then goes on, and
// releases the op when it returns. A detached call (from a timer or an
// event, with nobody to return an error to) records fn's error for Err
// before the op is released, so a ClearAll that waited for it finds the
// error there, and returns nil.
func (s *Schedule) exclusive(ctx context.Context, a *armed, what string, detached bool, fn func() error) error {
	stuck := func(why string) error {
		s.safeNote("%s %s: %v", what, a.spec.Name, why)
		return fmt.Errorf("fault %s: %s: %w (%s): %w", a.spec.ID, what, ErrStuck, why, context.Cause(ctx))
	}
	select {
	case a.op <- struct{}{}:
	default:
		select {
		case a.op <- struct{}{}:
		case <-ctx.Done():
			if detached {
				s.record(stuck("an inject or clear of it was still running"))
				return nil
			}
			return stuck("an inject or clear of it was still running")
		}
	}
	var (
		mu        sync.Mutex
		abandoned bool // the caller returned ErrStuck: record fn's error
	)
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("%w: %s %s: %v", ErrPanic, what, a.spec.ID, v)
				s.safeNote("%v\n%s", err, debug.Stack())
			}
			mu.Lock()
			defer mu.Unlock()
			if (abandoned || detached) && err != nil {
				s.record(err)
			}
			<-a.op
			if detached {
				err = nil
			}
			done <- err
		}()
		err = fn()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case err := <-done:
			return err
		default:
			abandoned = true
			if detached {
				s.record(stuck("it did not return"))
				return nil
			}
			return stuck("it did not return")
		}
	}
}

// record keeps an error of an injection or clear that fired from an
// event or a timer, for Err.
func (s *Schedule) record(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
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

// Err returns the errors of injections and clears that fired from events
// or timers, and of panics recovered on the schedule's goroutines.
func (s *Schedule) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// ClearAll ends the scenario's faults: it stops every timer, waits (within
// ctx) for any Inject or Clear in flight, and drops every fault that
// fired, in reverse order of arming (a Dropper's Drop, else Clear: what
// a fault holds is discarded, never delivered after the scenario).
// Nothing fires afterwards. A fault whose Inject or Clear does not finish
// within ctx is reported with ErrStuck; the context of injections that
// fired from events and timers then ends, and such a fault is dropped as
// soon as its Inject returns.
func (s *Schedule) ClearAll(ctx context.Context) error {
	defer s.cancel()
	s.mu.Lock()
	s.closed = true
	specs := append([]*armed(nil), s.specs...)
	for _, a := range specs {
		if a.timer != nil {
			a.timer.Stop()
		}
	}
	s.mu.Unlock()
	var errs []error
	for i := len(specs) - 1; i >= 0; i-- {
		errs = append(errs, s.clear(ctx, specs[i], true, false))
	}
	return errors.Join(errs...)
}

// Unfired lists the specs armed with a trigger that never fired: the
// event they wait for never came (or their timer never ran out), so the
// scenario ran without them.
func (s *Schedule) Unfired() []Spec {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Spec
	for _, a := range s.specs {
		if !a.fired && !a.spec.When.Immediate() {
			out = append(out, a.spec)
		}
	}
	return out
}
