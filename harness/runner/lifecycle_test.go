package runner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/runner/runnertest"
)

func newLifecycle(t *testing.T) (*runner.Lifecycle, *runnertest.Bench) {
	t.Helper()
	fb := runnertest.New()
	lc := runner.NewLifecycle(runner.LifecycleHooks{
		Launch: func() (runner.Process, error) { return fb.Terminal.Launch(runner.Launch{}) },
	})
	t.Cleanup(func() { _ = lc.Close(context.Background()) })
	return lc, fb
}

func wantState(t *testing.T, lc *runner.Lifecycle, want runner.State) {
	t.Helper()
	got, err := lc.State(context.Background())
	if err != nil || got != want {
		t.Fatalf("state = %s (%v), want %s", got, err, want)
	}
}

func TestLifecycleRefusesTransitionsFromTheWrongState(t *testing.T) {
	ctx := context.Background()
	lc, fb := newLifecycle(t)
	wantState(t, lc, runner.Off)
	if err := lc.Ready(ctx); !errors.Is(err, runner.ErrTransition) {
		t.Errorf("READY while off: %v, want ErrTransition", err)
	}
	if err := lc.Begin(ctx); !errors.Is(err, runner.ErrTransition) {
		t.Errorf("sale while off: %v, want ErrTransition", err)
	}
	if started, err := lc.PowerOn(ctx); !started || err != nil {
		t.Fatalf("power on: %v %v", started, err)
	}
	wantState(t, lc, runner.Booting)
	if err := lc.Begin(ctx); !errors.Is(err, runner.ErrTransition) {
		t.Errorf("sale while booting: %v, want ErrTransition", err)
	}
	if started, err := lc.PowerOn(ctx); started || err != nil {
		t.Errorf("power on while booting: started=%v %v, want a no-op", started, err)
	}
	if err := lc.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lc.Ready(ctx); !errors.Is(err, runner.ErrTransition) {
		t.Errorf("READY twice: %v, want ErrTransition", err)
	}
	if err := lc.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, lc, runner.InTransaction)
	if err := lc.PowerOff(ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, lc, runner.Off)
	if fb.Log.Index("terminal kill 1001") < 0 {
		t.Errorf("power off did not kill the terminal:\n%s", fb.Log)
	}
	if started, err := lc.PowerOn(ctx); !started || err != nil {
		t.Fatalf("power on after the cut: %v %v", started, err)
	}
	if _, err := lc.Safe(ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, lc, runner.Safe)
	if fb.Terminal.Running() {
		t.Errorf("the safe state left the terminal running:\n%s", fb.Log)
	}
	if started, err := lc.PowerOn(ctx); started || !errors.Is(err, runner.ErrSafeState) {
		t.Errorf("power on in the safe state: started=%v %v, want ErrSafeState", started, err)
	}
	if err := lc.PowerOff(ctx); !errors.Is(err, runner.ErrSafeState) {
		t.Errorf("power off in the safe state: %v, want ErrSafeState", err)
	}
	if err := lc.Ready(ctx); !errors.Is(err, runner.ErrSafeState) {
		t.Errorf("READY in the safe state: %v, want ErrSafeState", err)
	}
	if n := fb.Terminal.Launches(); n != 2 {
		t.Errorf("launches = %d, want 2", n)
	}
	if err := lc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.PowerOn(ctx); !errors.Is(err, runner.ErrSafeState) {
		t.Errorf("power on after Close: %v, want ErrSafeState", err)
	}
}

// A launch that fails leaves the bench off, so a later "DUT on" tries
// again rather than believing a DUT runs.
func TestLifecycleFailedLaunchStaysOff(t *testing.T) {
	ctx := context.Background()
	lc, fb := newLifecycle(t)
	fb.Terminal.SetLaunchError(errors.New("no such program"))
	if _, err := lc.PowerOn(ctx); err == nil {
		t.Fatal("power on with a failing launch: no error")
	}
	wantState(t, lc, runner.Off)
}

// Close returns by its deadline even while the lifecycle's goroutine is
// stuck in a transition (a DUT launch that never returns).
func TestLifecycleCloseIsBounded(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	launched := make(chan struct{})
	lc := runner.NewLifecycle(runner.LifecycleHooks{
		Launch: func() (runner.Process, error) {
			close(launched)
			<-release
			return nil, errors.New("released")
		},
	})
	go func() { _, _ = lc.PowerOn(context.Background()) }()
	select {
	case <-launched:
	case <-time.After(5 * time.Second):
		t.Fatal("the launch never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- lc.Close(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close = %v, want the deadline named", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs while the lifecycle is stuck")
	}
}
