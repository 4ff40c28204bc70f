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
			s.t.Note("%s %s panicked: %v\n%s", what, a.spec.Name, v, debug.Stack())
			err = fmt.Errorf("%w: %s %s: %v", ErrPanic, what, a.spec.Name, v)
		}
	}()
	return fn()
}

// recoverTo, deferred at the top of a goroutine (or hook) the schedule
// runs, records a panic as an error wrapping ErrPanic instead of
// crashing the process.
func (s *Schedule) recoverTo(where string) {
	if v := recover(); v != nil {
		s.t.Note("%s panicked: %v\n%s", where, v, debug.Stack())
		s.record(fmt.Errorf("%w: %s: %v", ErrPanic, where, v))
	}
}
