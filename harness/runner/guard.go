package runner

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/poshil/poshil/harness/verdict"
)

// ErrPanic marks a panic in the harness (a poshil bug, never the
// firmware's): the scenario ends as BENCH_ERROR, in its safe state.
var ErrPanic = errors.New("harness panic (a poshil bug, not the firmware's)")

// goGuarded runs f in a goroutine of the scenario. A panic in it is
// recovered, recorded in the transcript, and ends the scenario with a
// bench error; RunWith's deferred safe state then runs as after any end.
func (ru *run) goGuarded(name string, f func()) {
	go func() {
		var err error
		defer ru.recoverInto(name, &err)
		f()
	}()
}

// recoverInto, deferred, turns a panic in the named part of the harness
// into *err, a transcript line and the scenario's end (BENCH_ERROR).
func (ru *run) recoverInto(name string, err *error) {
	p := recover()
	if p == nil {
		return
	}
	e := verdict.Bench(name, fmt.Errorf("%w: %v", ErrPanic, p))
	ru.rec.add("poshil", fmt.Sprintf("%v\n%s", e, debug.Stack()))
	if ru.cancel != nil {
		ru.cancel(e)
	}
	*err = e
}
