package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/fixtures/printer"
	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/oracle"
	"github.com/poshil/poshil/harness/verdict"
)

// printerRig is the bench's emulated receipt printer: a pty whose far end
// the DUT opens, and the printer serving it for the rig's life.
type printerRig struct {
	pty  *serial.PTY
	prn  *printer.Printer
	stop context.CancelFunc
	done chan struct{}
	err  error // why Serve ended, once done is closed
}

// openPrinter starts the emulated printer when the bench has one.
func (r *Rig) openPrinter() error {
	b := r.Bench
	if b.Printer == nil || !b.Printer.Emulated() {
		return nil
	}
	pty, err := serial.NewPTY()
	if err != nil {
		return verdict.Bench("printer line", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	pr := &printerRig{pty: pty, prn: printer.New(pty.Port()), stop: stop, done: make(chan struct{})}
	go func() {
		defer close(pr.done)
		pr.err = pr.prn.Serve(ctx)
	}()
	r.printer = pr
	r.faultParts[fault.PartPrinter] = pr.prn
	return nil
}

// closePrinter stops the printer and closes its pty.
func (r *Rig) closePrinter() error {
	pr := r.printer
	if pr == nil {
		return nil
	}
	pr.stop()
	err := pr.pty.Close()
	<-pr.done
	return err
}

// printerHealthy is a bench error once the emulated printer stopped
// serving its line while the rig is up: a DUT that then cannot print is
// not to blame.
func (r *Rig) printerHealthy() error {
	if r.printer == nil {
		return nil
	}
	select {
	case <-r.printer.done:
		err := r.printer.err
		if err == nil {
			err = errors.New("stopped")
		}
		return verdict.Bench("printer line", fmt.Errorf("the emulated printer no longer serves its line: %w", err))
	default:
		return nil
	}
}

// printerPath is what the DUT opens for its printer, or "".
func (r *Rig) printerPath() string {
	switch {
	case r.printer != nil:
		return r.printer.pty.Path()
	case r.Bench.Printer != nil:
		return r.Bench.Printer.Port
	}
	return ""
}

// resetPrinter makes the printer ready with no receipts, and drops what
// an earlier scenario left on its line, before a scenario starts.
func (r *Rig) resetPrinter() error {
	if r.printer == nil {
		return nil
	}
	r.printer.prn.Reset()
	if err := r.printer.pty.Flush(); err != nil {
		return verdict.Bench("printer line", err)
	}
	return nil
}

// receipts are the receipts printed in this scenario, for the oracle (raw:
// the PAN check needs the digits as printed).
func (ru *run) receipts() []oracle.Receipt {
	if ru.rig.printer == nil {
		return nil
	}
	var out []oracle.Receipt
	for _, rc := range ru.rig.printer.prn.Receipts() {
		out = append(out, oracle.Receipt{At: rc.At, Lines: rc.Lines, Cut: rc.Cut})
	}
	return out
}

// receiptEvidence are the receipts as evidence, scrubbed of card data.
func (ru *run) receiptEvidence() []evidence.Receipt {
	var out []evidence.Receipt
	for _, rc := range ru.receipts() {
		out = append(out, evidence.Receipt{At: rc.At.Sub(ru.rec.start), Text: ru.rec.scrub.String(rc.Text()), Cut: rc.Cut})
	}
	return out
}

// reprintWait bounds the reprint step's wait for the copy.
const reprintWait = 5 * time.Second

// reprint asks the terminal to print the last receipt again and waits for
// the printer to finish a new receipt. A terminal that answers BUSY (a
// chip terminal waiting for the card to come out) is asked again after
// its READY, as an ECR does. A PRINTER_ERROR instead of the copy is a
// FAIL (the scenario loaded the paper).
func (ru *run) reprint(ctx context.Context) error {
	pr := ru.rig.printer
	if pr == nil {
		return fmt.Errorf("reprint: this bench has no emulated printer")
	}
	before := len(pr.prn.Receipts())
	wctx, cancel := context.WithTimeout(ctx, reprintWait)
	defer cancel()
	for {
		from := ru.sess.count()
		if err := ru.sess.send(wctx, ecr.Message{Kind: ecr.Reprint}); err != nil {
			return err
		}
		busy, err := ru.awaitCopy(wctx, pr.prn, before, &from)
		if err != nil || !busy {
			if err == nil {
				ru.rec.add("printer", fmt.Sprintf("reprint: receipt %d printed", before+1))
			}
			return err
		}
		ru.rec.add("poshil", "reprint: the terminal is BUSY; asking again after its READY")
		if _, err := ru.sess.waitFor(wctx, &from, "READY after BUSY", func(m ecr.Message) (bool, error) {
			return m.Kind == ecr.Ready, nil
		}); err != nil {
			return ru.dutError(fmt.Errorf("reprint: %w", err))
		}
	}
}

// awaitCopy waits for the copy: a new receipt (nil), BUSY (busy, with
// *from past it), or a PRINTER_ERROR or the end of ctx (an error).
func (ru *run) awaitCopy(ctx context.Context, prn *printer.Printer, before int, from *int) (busy bool, err error) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	type seen struct {
		m   ecr.Message
		err error
	}
	msgs := make(chan seen, 1)
	idx := *from
	go func() {
		m, err := ru.sess.waitFor(actx, &idx, "reprint", func(m ecr.Message) (bool, error) {
			code, _ := m.Get("code")
			return m.Kind == ecr.Busy || (m.Kind == ecr.Event && code == "PRINTER_ERROR"), nil
		})
		msgs <- seen{m, err}
	}()
	printed := make(chan error, 1)
	go func() {
		_, err := prn.WaitReceipts(actx, before+1)
		printed <- err
	}()
	timeout := func() error {
		if err := context.Cause(ctx); err != nil && ctx.Err() != context.DeadlineExceeded {
			return err
		}
		return ru.dutError(fmt.Errorf("reprint: the terminal printed no new receipt within %v", reprintWait))
	}
	select {
	case err := <-printed:
		if err != nil {
			return false, timeout()
		}
		return false, nil
	case s := <-msgs:
		switch {
		case s.err != nil && ctx.Err() != nil:
			return false, timeout()
		case s.err != nil:
			return false, ru.dutError(fmt.Errorf("reprint: %w", s.err))
		case s.m.Kind == ecr.Busy:
			*from = idx
			return true, nil
		}
		return false, fmt.Errorf("reprint: the terminal reported %s instead of printing the copy", reportText(s.m))
	}
}

// count is how many messages the DUT has sent so far.
func (s *session) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}
