package fault

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrPanic reports a panic recovered in a fault's Inject, Clear or Drop,
// or on a goroutine the schedule started: a harness bug, reported as a
// bench error, never a crash. The stack goes on the fault timeline.
var ErrPanic = errors.New("fault panicked")

// call runs fn, one of a's Inject, Clear or Drop, turning a panic into
// an error wrapping ErrPanic.
func (s *Schedule) call(a *armed, what string, fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %s %s: %v", ErrPanic, what, a.spec.Name, v)
			s.safeNote("%v\n%s", err, debug.Stack())
		}
	}()
	return fn()
}

// recoverTo, deferred at the top of a goroutine (or hook) the schedule
// runs, records a panic as an error wrapping ErrPanic instead of
// crashing the process.
func (s *Schedule) recoverTo(where string) {
	if v := recover(); v != nil {
		err := fmt.Errorf("%w: %s: %v", ErrPanic, where, v)
		s.record(err)
		s.safeNote("%v\n%s", err, debug.Stack())
	}
}

// safeNote notes on the timeline; a Note that panics (a bug of the
// Target) is recorded as an error wrapping ErrPanic, and never breaks the
// schedule's own bookkeeping nor a recovery in progress.
func (s *Schedule) safeNote(format string, args ...any) {
	defer func() {
		if v := recover(); v != nil {
			s.record(fmt.Errorf("%w: timeline note: %v", ErrPanic, v))
		}
	}()
	s.t.Note(format, args...)
}
