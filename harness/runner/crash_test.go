package runner

import (
	"context"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/bench"
)

// crashLifecycle is a lifecycle whose DUT is a real process running argv.
func crashLifecycle(t *testing.T, out io.Writer, argv ...string) (*Lifecycle, *[]syscall.Signal, func() *process) {
	t.Helper()
	var (
		procs   []*process
		crashed []syscall.Signal
	)
	lc := NewLifecycle(LifecycleHooks{
		Launch: func() (Process, error) {
			p, err := startProcess(&bench.Process{Command: argv}, map[string]string{"{workdir}": t.TempDir()}, nil, nil, bench.LookupProgram, out, false)
			if err == nil {
				procs = append(procs, p)
			}
			return p, err
		},
		Crashed: func(sig syscall.Signal) { crashed = append(crashed, sig) },
	})
	t.Cleanup(func() { _ = lc.Close(context.Background()) })
	ctx := context.Background()
	if _, err := lc.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lc.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	return lc, &crashed, func() *process { return procs[len(procs)-1] }
}

// A crash ends the DUT by the signal named (its exit says so), tells the
// hook first, leaves the bench Off, and the DUT can be started again.
func TestCrashKillsTheDUTWithTheSignal(t *testing.T) {
	t.Parallel()
	lc, crashed, last := crashLifecycle(t, nil, "sleep", "30")
	ctx := context.Background()
	first := last()
	if err := lc.Crash(ctx, syscall.SIGSEGV); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.Done():
	default:
		t.Fatal("the DUT outlived its crash")
	}
	if how := exitDescription(first.Err()); !strings.Contains(how, "segmentation fault") {
		t.Errorf("DUT ended %q, want killed by SIGSEGV", how)
	}
	if len(*crashed) != 1 || (*crashed)[0] != syscall.SIGSEGV {
		t.Errorf("Crashed hook saw %v", *crashed)
	}
	wantStateIn(t, lc, Off)
	if started, err := lc.PowerOn(ctx); err != nil || !started {
		t.Fatalf("restart after the crash: %v %v", started, err)
	}
	if last() == first {
		t.Error("no new process after the restart")
	}
}

// A DUT that ignores the signal is still gone when Crash returns.
func TestCrashKillsADUTThatIgnoresTheSignal(t *testing.T) {
	t.Parallel()
	ready := &readyWriter{ch: make(chan struct{})}
	lc, _, last := crashLifecycle(t, ready, "sh", "-c", `trap "" SEGV; echo ready; sleep 30`)
	select {
	case <-ready.ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the shell never set its trap")
	}
	if err := lc.Crash(context.Background(), syscall.SIGSEGV); err != nil {
		t.Fatal(err)
	}
	select {
	case <-last().Done():
	default:
		t.Fatal("the DUT ignored its crash and still runs")
	}
	wantStateIn(t, lc, Off)
}

// readyWriter closes ch once the process has written something.
type readyWriter struct {
	once sync.Once
	ch   chan struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ch) })
	return len(p), nil
}

func wantStateIn(t *testing.T, lc *Lifecycle, want State) {
	t.Helper()
	if got, err := lc.State(context.Background()); err != nil || got != want {
		t.Fatalf("state = %s (%v), want %s", got, err, want)
	}
}
