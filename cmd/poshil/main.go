// Command poshil runs payment-terminal scenarios on a bench, validates
// scenario and bench files, makes reports from run records, and simulates
// bench parts (a card in a vpcd slot) for use with any PC/SC tool.
//
// `poshil --help` and `poshil COMMAND --help` describe every command;
// docs/cli.md is the same text, generated. Commands are built in cli.go.
//
// Exit codes: 0 pass, 1 firmware fail, 2 bench error, 3 invalid input;
// 130 after a second Ctrl-C (the first stops the run cleanly).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is poshil with args: the first interrupt cancels the run's context.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signalContext()
	defer stop()
	return execute(ctx, args, stdout, stderr)
}

// exitQuit is the status of a second interrupt: 128 + SIGINT, as a shell
// reports a process killed by Ctrl-C.
const exitQuit = 130

// finishOnSignal, set by a parallel run's bench worker, makes a second
// signal do nothing: a worker always returns its bench to its safe state
// and releases it (within the runner's bounds). Its parent's death can
// signal it more than once: the parent-death signal comes again each
// time the thread it is attached to exits and the worker is handed to
// another thread of the dying parent.
var finishOnSignal atomic.Bool

// signalContext is cancelled on the first SIGINT/SIGTERM, so scenarios stop
// and the bench returns to its safe state and the reports are written; a
// second signal exits at once (status 130), keeping the results of the
// scenarios already finished (poshil run writes them as each ends).
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ch:
		case <-stopped:
			return
		}
		fmt.Fprintln(os.Stderr, "poshil: interrupted; returning the bench to its safe state (again to quit now)")
		cancel()
		for {
			select {
			case <-ch:
			case <-stopped:
				return
			}
			if finishOnSignal.Load() {
				continue
			}
			fmt.Fprintln(os.Stderr, "poshil: interrupted again; quitting now (finished scenarios are in the reports)")
			os.Exit(exitQuit)
		}
	}()
	var once sync.Once
	return ctx, func() { once.Do(func() { signal.Stop(ch); close(stopped); cancel() }) }
}
