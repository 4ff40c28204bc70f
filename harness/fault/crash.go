package fault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

func init() {
	Register("dut_crash", "the DUT process dies of a crash signal (default SIGSEGV) at the trigger and its supervisor restarts it after `restart` (default 100ms); terminal must recover from its journal: reversal exactly once, POWER_FAIL_RECOVERED",
		func() Fault { return &Crash{} })
}

// DUTCrasher is a DUTSide that can crash the DUT with a signal and
// restart it, as a process supervisor (systemd's Restart=, a watchdog)
// would. The runner's DUT side implements it; a bench without it cannot
// run dut_crash.
type DUTCrasher interface {
	// Crash sends sig to the DUT process and waits (bounded) until it is
	// gone; a process that outlives the signal is killed.
	Crash(ctx context.Context, sig syscall.Signal) error
	// Restart starts the DUT again and waits for READY; in the bench's
	// safe state it does nothing.
	Restart(ctx context.Context) error
}

// crashSignals are the signals a crash can be: the ones a process dies of
// by its own fault (or an abort, or the kernel's OOM killer), not the
// polite SIGTERM of a shutdown.
var crashSignals = map[string]syscall.Signal{
	"SIGSEGV": syscall.SIGSEGV,
	"SIGABRT": syscall.SIGABRT,
	"SIGBUS":  syscall.SIGBUS,
	"SIGILL":  syscall.SIGILL,
	"SIGFPE":  syscall.SIGFPE,
	"SIGKILL": syscall.SIGKILL,
}

// maxRestart bounds restart: a supervisor that waits longer is no
// supervisor.
const maxRestart = 30 * time.Second

// Crash kills the DUT process with a crash signal at its trigger (not a
// power cut: the supply stays on, only the process dies, mid-transaction),
// then restarts it after Restart, as its supervisor would. The restart
// runs on its own goroutine, so the event path that fired the fault is
// never held up; Clear stops it (a restart not yet done is abandoned: in
// the safe state the DUT stays stopped) and reports one that failed. In
// YAML:
//
//	faults:
//	  - dut_crash: {signal: SIGSEGV}
//	    when: {mti: "0200"}
//
// dut_crash takes no `for`: the process restarts on its own.
type Crash struct {
	Signal  string        `yaml:"signal"`
	Restart time.Duration `yaml:"restart"`

	mu     sync.Mutex
	cancel context.CancelFunc // stops the restart
	done   chan struct{}      // closed when the restart is over
	err    error              // the restart's, set before done closes
}

// Needs implements Needer.
func (f *Crash) Needs() []Part { return []Part{PartDUT} }

// MaxDelay implements the scenario's bound on delays: the restart must
// come within the scenario's timeout.
func (f *Crash) MaxDelay() time.Duration { return f.restart() }

// Check validates the signal and the restart delay.
func (f *Crash) Check(n *yaml.Node) error {
	if f.Signal != "" {
		f.Signal = strings.ToUpper(strings.TrimSpace(f.Signal))
		if !strings.HasPrefix(f.Signal, "SIG") {
			f.Signal = "SIG" + f.Signal
		}
		if _, ok := crashSignals[f.Signal]; !ok {
			names := make([]string, 0, len(crashSignals))
			for k := range crashSignals {
				names = append(names, k)
			}
			slices.Sort(names)
			return yamldoc.At(yamldoc.FindOr(n, "signal"), "dut_crash: signal %q: want a crash signal (%s)", f.Signal, strings.Join(names, ", "))
		}
	}
	if given(n, "restart") && (f.Restart <= 0 || f.Restart > maxRestart) {
		return yamldoc.At(yamldoc.FindOr(n, "restart"), "dut_crash: restart %v: want above zero and at most %v", f.Restart, maxRestart)
	}
	return nil
}

func (f *Crash) signal() (string, syscall.Signal) {
	if f.Signal == "" {
		return "SIGSEGV", syscall.SIGSEGV
	}
	return f.Signal, crashSignals[f.Signal]
}

func (f *Crash) restart() time.Duration {
	if f.Restart <= 0 {
		return 100 * time.Millisecond
	}
	return f.Restart
}

// Inject implements Fault: the DUT dies now; the restart follows on its
// own goroutine.
func (f *Crash) Inject(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := t.DUT()
	c, ok := d.(DUTCrasher)
	if d == nil || !ok {
		return fmt.Errorf("%w: the bench cannot crash and restart its DUT", ErrUnsupported)
	}
	if f.done != nil {
		return nil // fired once already
	}
	name, sig := f.signal()
	if err := c.Crash(ctx, sig); err != nil {
		return fmt.Errorf("dut_crash: %s: %w", name, err)
	}
	t.Note("DUT crashed (%s); restart in %v", name, f.restart())
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.cancel, f.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		tm := time.NewTimer(f.restart())
		defer tm.Stop()
		select {
		case <-tm.C:
		case <-rctx.Done():
			return
		}
		// A restart that failed on its own is reported even when Clear
		// came meanwhile; only one stopped by Clear is not a failure.
		if err := c.Restart(rctx); err != nil && !(rctx.Err() != nil && errors.Is(err, rctx.Err())) {
			f.err = fmt.Errorf("dut_crash: restart: %w", err)
			return
		}
		t.Note("DUT restarted after the crash")
	}(f.done)
	return nil
}

// Clear implements Fault: it stops a restart still under way and waits
// (bounded by ctx) for it to end.
func (f *Crash) Clear(ctx context.Context, _ Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		return nil
	}
	f.cancel()
	select {
	case <-f.done:
	case <-ctx.Done():
		return fmt.Errorf("dut_crash: restart did not stop: %w", ctx.Err())
	}
	err := f.err
	f.cancel, f.done, f.err = nil, nil, nil
	return err
}
