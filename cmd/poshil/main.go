// Command poshil runs payment-terminal scenarios on a bench, validates
// scenario and bench files, and simulates bench parts (a card in a vpcd slot)
// for use with any PC/SC tool.
//
//	poshil run [--bench FILE] [--label-filter EXPR] [--out DIR] [SCENARIO...]
//	poshil validate FILE...
//	poshil sim card --profile NAME|FILE [--slot N]
//	poshil report merge|html|pcap ...
//	poshil schema scenario|bench
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
	"syscall"

	"github.com/poshil/poshil/harness/verdict"
)

const usage = `poshil: hardware-in-the-loop test harness for payment-terminal firmware

usage:
  poshil run [--bench FILE] [--label-filter EXPR] [--out DIR] [--verbose]
             [--repeat N] [--until-fail] [--mutant NAME] [--wait DURATION]
             [SCENARIO|DIR...]
  poshil list [--label-filter EXPR] [SCENARIO|DIR...]
  poshil validate [--bench FILE] FILE...
  poshil sim card --profile NAME|FILE [--slot N] [--vpcd HOST]
  poshil cards
  poshil report merge -o OUT.json RECORD.json...   join the records of shards
  poshil report html -o OUT.html RECORD.json       the HTML report of a record
  poshil report pcap -o DIR RECORD.json            pcapng traces of a record
  poshil schema scenario|bench                     JSON Schema for editors
  poshil pki [--seed S] [--root DIR]               write the test CA public key files

exit codes: 0 pass, 1 firmware fail, 2 bench error, 3 invalid input,
130 on a second Ctrl-C (the first returns the bench to its safe state)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return verdict.ExitInvalid
	}
	ctx, stop := signalContext()
	defer stop()
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "sim":
		return cmdSim(ctx, args[1:], stdout, stderr)
	case "cards":
		return cmdCards(stdout)
	case "list":
		return cmdList(args[1:], stdout, stderr)
	case "report":
		return cmdReport(args[1:], stdout, stderr)
	case "schema":
		return cmdSchema(args[1:], stdout, stderr)
	case "pki":
		return pkiCmd(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "poshil: unknown command %q\n\n%s", args[0], usage)
	return verdict.ExitInvalid
}

// exitQuit is the status of a second interrupt: 128 + SIGINT, as a shell
// reports a process killed by Ctrl-C.
const exitQuit = 130

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
		select {
		case <-ch:
		case <-stopped:
			return
		}
		fmt.Fprintln(os.Stderr, "poshil: interrupted again; quitting now (finished scenarios are in the reports)")
		os.Exit(exitQuit)
	}()
	var once sync.Once
	return ctx, func() { once.Do(func() { signal.Stop(ch); close(stopped); cancel() }) }
}
