package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/runner/runnertest"
	"github.com/poshil/poshil/harness/verdict"
)

// stuck lets the stuck Clears of one test return when it is over.
var stuck struct {
	sync.Mutex
	release chan struct{}
}

// stuckUntilCleanup arms the stuck Clears of test t.
func stuckUntilCleanup(t *testing.T) {
	ch := make(chan struct{})
	stuck.Lock()
	stuck.release = ch
	stuck.Unlock()
	t.Cleanup(func() { close(ch) })
}

// stuckClear is a fault whose Clear hangs whatever its context says (a
// relay driver blocked in a syscall, a supply that never answers).
type stuckClear struct{}

func (*stuckClear) Inject(context.Context, fault.Target) error { return nil }

func (*stuckClear) Clear(context.Context, fault.Target) error {
	stuck.Lock()
	ch := stuck.release
	stuck.Unlock()
	<-ch
	return nil
}

func init() {
	fault.Register("test_stuck_clear", "test fault: Clear blocks until its context ends", func() fault.Fault { return &stuckClear{} })
}

// A fault that does not clear within the cleanup bound leaves the bench
// unsafe: the scenario is BENCH_ERROR, never the PASS (or FAIL) the DUT's
// answers alone would give.
func TestStuckClearIsBenchError(t *testing.T) {
	fb := runnertest.New()
	r, err := runner.New(fb.Config(), fb.Parts(), runner.Options{Cleanup: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	stuckUntilCleanup(t)
	sc := parse(t, strings.Replace(sale, "steps:\n", "faults:\n  - test_stuck_clear: {}\nsteps:\n", 1))
	start := time.Now()
	res := run(t, context.Background(), r, sc)
	if res.Class != verdict.BenchError {
		t.Fatalf("got %s (%s), want BENCH_ERROR for a fault that did not clear", res.Class, res.Reason)
	}
	if !strings.Contains(res.Reason, "clearing faults") || !strings.Contains(res.Reason, "the verdict was PASS") {
		t.Errorf("reason %q should name the stuck clear and the verdict it replaced", res.Reason)
	}
	if !strings.Contains(res.Reason, fault.ErrStuck.Error()) {
		t.Errorf("reason %q should say the fault is stuck (%v)", res.Reason, fault.ErrStuck)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the run took %v: the cleanup bound (300ms) was not applied", took)
	}
	assertSafe(t, fb)
}
