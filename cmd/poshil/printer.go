package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/fixtures/printer"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/verdict"
)

// printerCmd runs the emulated ESC/POS receipt printer on a pty for a
// firmware under development: it prints the device to open, then each
// receipt as it is cut (card numbers masked), until Ctrl-C or --for.
func printerCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("poshil printer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", "ready", "state: ready, near_end, paper_out, cover_open, offline, jam")
	after := fs.Int("after-lines", 0, "enter --state after this many printed lines (0: at once)")
	dur := fs.Duration("for", 0, "stop after this long (0: until Ctrl-C)")
	if err := fs.Parse(args); err != nil {
		return verdict.ExitInvalid
	}
	st, err := printer.ParseState(*state)
	if err != nil || *after < 0 || *dur < 0 {
		fmt.Fprintf(stderr, "poshil printer: %v\n", firstErr(err, fmt.Errorf("--after-lines and --for cannot be negative")))
		return verdict.ExitInvalid
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	pty, err := serial.NewPTY()
	if err != nil {
		fmt.Fprintf(stderr, "poshil: BENCH_ERROR: printer line: %v\n", err)
		return verdict.ExitBenchError
	}
	defer pty.Close()
	p := printer.New(pty.Port())
	p.Set(st, *after)
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx) }()
	fmt.Fprintf(stdout, "printer %s on %s (ESC/POS; DLE EOT and GS r answered)\n", p.State(), pty.Path())
	for n := 1; ; n++ {
		rs, err := p.WaitReceipts(ctx, n)
		if err != nil {
			break
		}
		r := rs[n-1]
		note := ""
		if !r.Cut {
			note = " (cut short)"
		}
		fmt.Fprintf(stdout, "--- receipt %d%s, %s\n%s\n", n, note, r.At.Format(time.TimeOnly), secrets.MaskText(r.Text()))
	}
	if err := <-served; err != nil {
		fmt.Fprintf(stderr, "poshil: BENCH_ERROR: %v\n", err)
		return verdict.ExitBenchError
	}
	return 0
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func init() {
	register(legacy("printer", "Run the emulated ESC/POS receipt printer on a pty and show its receipts", printerCmd))
}
