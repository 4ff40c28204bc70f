package fault_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/fault"
)

// crashDUT records crashes and restarts; restart blocks until released
// (or its ctx ends) when gate is set.
type crashDUT struct {
	mu        sync.Mutex
	crashes   []syscall.Signal
	restarts  int
	gate      chan struct{}
	restarted chan struct{}
	fail      error
	// failing, when set, is closed as a restart begins; that restart
	// then fails with fail (its own error, not ctx's) once ctx ends: a
	// restart that fails just as Clear comes.
	failing chan struct{}
}

func (d *crashDUT) Kill(context.Context) error  { return nil }
func (d *crashDUT) Start(context.Context) error { return nil }
func (d *crashDUT) Crash(_ context.Context, sig syscall.Signal) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.crashes = append(d.crashes, sig)
	return nil
}
func (d *crashDUT) Restart(ctx context.Context) error {
	if d.failing != nil {
		close(d.failing)
		<-ctx.Done()
		return d.fail
	}
	if d.gate != nil {
		select {
		case <-d.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	d.mu.Lock()
	d.restarts++
	d.mu.Unlock()
	if d.restarted != nil {
		close(d.restarted)
	}
	return d.fail
}

// crashTarget is a bench whose only part is dut (nil: no DUT).
type crashTarget struct{ dut fault.DUTSide }

func (t *crashTarget) Card() fault.CardSide   { return nil }
func (t *crashTarget) Host() *acquirer.Server { return nil }
func (t *crashTarget) DUT() fault.DUTSide     { return t.dut }
func (t *crashTarget) Part(fault.Part) any    { return nil }
func (t *crashTarget) Note(string, ...any)    {}

// powerOnlyDUT can be killed and started but not crashed.
type powerOnlyDUT struct{}

func (powerOnlyDUT) Kill(context.Context) error  { return nil }
func (powerOnlyDUT) Start(context.Context) error { return nil }

func crashFault(t *testing.T, src string) fault.Fault {
	t.Helper()
	specs, err := powerSpecs("faults:\n  - dut_crash: " + src + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return specs[0].Fault
}

// Inject crashes the DUT with the named signal (SIGSEGV by default) and
// the supervisor's restart follows on its own, once.
func TestCrashSignalsThenRestarts(t *testing.T) {
	for src, want := range map[string]syscall.Signal{"{}": syscall.SIGSEGV, "{signal: abrt}": syscall.SIGABRT, "{signal: SIGKILL, restart: 10ms}": syscall.SIGKILL} {
		d := &crashDUT{restarted: make(chan struct{})}
		f := crashFault(t, src)
		ctx := context.Background()
		if err := f.Inject(ctx, &crashTarget{dut: d}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-d.restarted:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no restart", src)
		}
		if err := f.Clear(ctx, &crashTarget{dut: d}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(d.crashes) != fmt.Sprint([]syscall.Signal{want}) || d.restarts != 1 {
			t.Errorf("%s: crashes %v restarts %d, want [%v] and 1", src, d.crashes, d.restarts, want)
		}
	}
}

// Clear abandons a restart still under way (the bench going to its safe
// state) without waiting for it, and reports a restart that failed.
func TestCrashClearStopsTheRestart(t *testing.T) {
	d := &crashDUT{gate: make(chan struct{})}
	f := crashFault(t, "{restart: 1ms}")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Inject(ctx, &crashTarget{dut: d}); err != nil {
		t.Fatal(err)
	}
	if err := f.Clear(ctx, &crashTarget{dut: d}); err != nil {
		t.Fatalf("clear: %v", err)
	}
	if d.restarts != 0 {
		t.Errorf("restarted %d times after Clear", d.restarts)
	}

	bad := &crashDUT{restarted: make(chan struct{}), fail: errors.New("no READY")}
	f = crashFault(t, "{restart: 1ms}")
	if err := f.Inject(ctx, &crashTarget{dut: bad}); err != nil {
		t.Fatal(err)
	}
	<-bad.restarted
	if err := f.Clear(ctx, &crashTarget{dut: bad}); err == nil || !strings.Contains(err.Error(), "no READY") {
		t.Errorf("a failed restart cleared as %v", err)
	}
}

// TestCrashClearKeepsAFailureOfItsOwn: a restart that fails on its own
// while Clear is stopping it is reported, not taken for the stop.
func TestCrashClearKeepsAFailureOfItsOwn(t *testing.T) {
	d := &crashDUT{failing: make(chan struct{}), fail: errors.New("no READY")}
	f := crashFault(t, "{restart: 1ms}")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Inject(ctx, &crashTarget{dut: d}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.failing:
	case <-ctx.Done():
		t.Fatal("no restart began")
	}
	if err := f.Clear(ctx, &crashTarget{dut: d}); err == nil || !strings.Contains(err.Error(), "no READY") {
		t.Errorf("a restart that failed as Clear came cleared as %v, want its own failure", err)
	}
}

// A bench whose DUT cannot crash (or has none) cannot run the fault; a
// signal that is no crash and a restart out of bounds are INVALID.
func TestCrashNeedsACrashableDUT(t *testing.T) {
	for _, d := range []fault.DUTSide{nil, powerOnlyDUT{}} {
		if err := crashFault(t, "{}").Inject(context.Background(), &crashTarget{dut: d}); !errors.Is(err, fault.ErrUnsupported) {
			t.Errorf("DUT %T: %v, want ErrUnsupported", d, err)
		}
	}
	for src, want := range map[string]string{
		"{signal: SIGTERM}": "s.yaml:2:25: dut_crash: signal \"SIGTERM\": want a crash signal",
		"{restart: 0s}":     "s.yaml:2:26: dut_crash: restart 0s",
		"{restart: 1m}":     "s.yaml:2:26: dut_crash: restart 1m0s",
	} {
		if _, err := powerSpecs("faults:\n  - dut_crash: " + src + "\n"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}
