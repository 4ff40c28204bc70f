package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/poshil/poshil/harness/verdict"
)

// State is where the bench is in one scenario's life.
type State int

// The lifecycle's states.
const (
	// Off: no DUT runs (before boot, or during a power cut).
	Off State = iota
	// Booting: the DUT was started and has not reported READY yet.
	Booting
	// Ready: the DUT reported READY.
	Ready
	// InTransaction: a sale was sent since READY.
	InTransaction
	// Safe: the scenario is over; the DUT is stopped and nothing starts
	// it again.
	Safe
)

func (s State) String() string {
	switch s {
	case Off:
		return "off"
	case Booting:
		return "booting"
	case Ready:
		return "ready"
	case InTransaction:
		return "in a transaction"
	case Safe:
		return "safe"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ErrSafeState is a transition refused because the bench is in its safe
// state (e.g. a power cut's Clear asking to boot the DUT after an abort).
var ErrSafeState = errors.New("the bench is in its safe state")

// ErrTransition is a transition refused from the current state.
var ErrTransition = errors.New("transition not allowed")

// LifecycleHooks are what a Lifecycle does around its transitions. They
// run on the lifecycle's goroutine.
type LifecycleHooks struct {
	// Launch starts the DUT; nil when the bench does not run it (power
	// transitions then only change the state).
	Launch func() (Process, error)
	// Started sees a DUT just started; an error stops it again and fails
	// the transition.
	Started func(Process) error
	// Cut runs just before a power cut kills the DUT.
	Cut func()
	// Crashed runs just before a crash signal kills the DUT.
	Crashed func(sig syscall.Signal)
}

// Lifecycle is the bench's state machine for one scenario: off, booting,
// ready, in a transaction, safe. One goroutine owns the state and the DUT
// process; faults and steps ask it for transitions (a power cut for "DUT
// off", its Clear for "DUT on") and never start or stop processes
// themselves. In the safe state "DUT on" is refused with ErrSafeState.
type Lifecycle struct {
	hooks LifecycleHooks
	reqs  chan lcRequest
	quit  chan struct{}
	stop  sync.Once
	done  chan struct{}

	// Owned by the loop goroutine.
	state State
	proc  Process
}

type lcRequest struct {
	op    func() error
	reply chan error
}

// NewLifecycle starts a lifecycle in state Off. Close ends it.
func NewLifecycle(h LifecycleHooks) *Lifecycle {
	lc := &Lifecycle{hooks: h, reqs: make(chan lcRequest), quit: make(chan struct{}), done: make(chan struct{})}
	go lc.loop()
	return lc
}

func (lc *Lifecycle) loop() {
	defer close(lc.done)
	for {
		select {
		case r := <-lc.reqs:
			r.reply <- lc.run(r.op)
		case <-lc.quit:
			return
		}
	}
}

// run runs one transition; a panic in it is a harness bug, reported as a
// bench error, not a crash.
func (lc *Lifecycle) run(op func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = verdict.Bench("bench lifecycle", fmt.Errorf("harness panic (a poshil bug): %v\n%s", p, debug.Stack()))
		}
	}()
	return op()
}

// do runs op on the lifecycle's goroutine and returns its error. After
// Close every transition is refused with ErrSafeState.
func (lc *Lifecycle) do(ctx context.Context, op func() error) error {
	r := lcRequest{op: op, reply: make(chan error, 1)}
	select {
	case lc.reqs <- r:
	case <-lc.done:
		return ErrSafeState
	case <-ctx.Done():
		return fmt.Errorf("bench lifecycle: %w", ctx.Err())
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("bench lifecycle: %w", ctx.Err())
	}
}

func (lc *Lifecycle) refuse(what string) error {
	if lc.state == Safe {
		return fmt.Errorf("%s: %w", what, ErrSafeState)
	}
	return fmt.Errorf("%s from %s: %w", what, lc.state, ErrTransition)
}

// PowerOn boots the DUT (state Booting) and says whether it did: it is a
// no-op when the DUT is already on, and refused in the safe state.
func (lc *Lifecycle) PowerOn(ctx context.Context) (started bool, err error) {
	err = lc.do(ctx, func() error {
		switch lc.state {
		case Booting, Ready, InTransaction:
			return nil
		case Safe:
			return lc.refuse("DUT on")
		}
		if lc.hooks.Launch != nil {
			p, err := lc.hooks.Launch()
			if err != nil {
				return err
			}
			if lc.hooks.Started != nil {
				if err := lc.hooks.Started(p); err != nil {
					p.Kill()
					return err
				}
			}
			lc.proc = p
		}
		lc.state = Booting
		started = true
		return nil
	})
	return started, err
}

// PowerOff kills the DUT at once, as a power cut (state Off). A no-op when
// it is off; refused in the safe state, where the DUT is already stopped.
func (lc *Lifecycle) PowerOff(ctx context.Context) error {
	return lc.do(ctx, func() error {
		switch lc.state {
		case Off:
			return nil
		case Safe:
			return lc.refuse("DUT off")
		}
		if lc.proc != nil {
			if lc.hooks.Cut != nil {
				lc.hooks.Cut()
			}
			lc.proc.Kill()
		}
		lc.state = Off
		return nil
	})
}

// Ready records the DUT's READY: Booting to Ready.
func (lc *Lifecycle) Ready(ctx context.Context) error {
	return lc.do(ctx, func() error {
		if lc.state != Booting {
			return lc.refuse("READY")
		}
		lc.state = Ready
		return nil
	})
}

// Begin records a sale sent: Ready (or already InTransaction) to
// InTransaction.
func (lc *Lifecycle) Begin(ctx context.Context) error {
	return lc.do(ctx, func() error {
		if lc.state != Ready && lc.state != InTransaction {
			return lc.refuse("sale")
		}
		lc.state = InTransaction
		return nil
	})
}

// Safe enters the safe state from any state: the DUT is stopped (SIGTERM,
// then SIGKILL) and from now on nothing starts it. It says how the DUT
// ended, or "" when none ran. Safe is idempotent.
func (lc *Lifecycle) Safe(ctx context.Context) (string, error) {
	var how string
	err := lc.do(ctx, func() error {
		if lc.state == Safe {
			return nil
		}
		lc.state = Safe
		if lc.proc != nil {
			lc.proc.Stop()
			how = exitDescription(lc.proc.Err())
		}
		return nil
	})
	if errors.Is(err, ErrSafeState) { // closed: safe already
		err = nil
	}
	return how, err
}

// State is the current state.
func (lc *Lifecycle) State(ctx context.Context) (State, error) {
	var s State
	err := lc.do(ctx, func() error { s = lc.state; return nil })
	if errors.Is(err, ErrSafeState) {
		return Safe, nil
	}
	return s, err
}

// Exited reports whether the current DUT process has ended, and how.
func (lc *Lifecycle) Exited(ctx context.Context) (bool, error) {
	var (
		done bool
		perr error
	)
	_ = lc.do(ctx, func() error {
		if lc.proc == nil {
			return nil
		}
		select {
		case <-lc.proc.Done():
			done, perr = true, lc.proc.Err()
		default:
		}
		return nil
	})
	return done, perr
}

// Close enters the safe state (bounded by ctx) and ends the lifecycle's
// goroutine; every later transition is refused with ErrSafeState.
func (lc *Lifecycle) Close(ctx context.Context) error {
	_, err := lc.Safe(ctx)
	lc.stop.Do(func() { close(lc.quit) })
	select {
	case <-lc.done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("bench lifecycle did not end: %w", ctx.Err()))
	}
	return err
}
