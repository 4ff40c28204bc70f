package runner

import (
	"context"
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
		_ = pr.prn.Serve(ctx) // a failed port shows as a DUT that cannot print: the pty is the rig's own
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
// the printer to finish a new receipt. A PRINTER_ERROR instead is a FAIL
// (the scenario loaded the paper).
func (ru *run) reprint(ctx context.Context) error {
	pr := ru.rig.printer
	if pr == nil {
		return fmt.Errorf("reprint: this bench has no emulated printer")
	}
	if err := ru.waitIdle(ctx); err != nil {
		return err
	}
	before := len(pr.prn.Receipts())
	if err := ru.sess.send(ctx, ecr.Message{Kind: ecr.Reprint}); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, reprintWait)
	defer cancel()
	// A PRINTER_ERROR (or the DUT dying) ends the wait for the copy.
	reported := make(chan error, 1)
	from := ru.cursor
	go func() {
		_, err := ru.sess.waitFor(wctx, &from, "reprint", func(m ecr.Message) (bool, error) {
			if code, _ := m.Get("code"); m.Kind == ecr.Event && code == "PRINTER_ERROR" {
				return false, fmt.Errorf("reprint: the terminal reported %s", reportText(m))
			}
			return false, nil
		})
		if err != nil && wctx.Err() == nil {
			reported <- err
			cancel()
		}
	}()
	if _, err := pr.prn.WaitReceipts(wctx, before+1); err == nil {
		ru.rec.add("printer", fmt.Sprintf("reprint: receipt %d printed", before+1))
		return nil
	}
	select {
	case err := <-reported:
		return ru.dutError(err)
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ru.dutError(fmt.Errorf("reprint: the terminal printed no new receipt within %v", reprintWait))
}

// waitIdle waits, as an ECR does before it asks for anything but a sale,
// until the terminal has said READY after its last RESULT (a chip
// terminal is busy until the card is out).
func (ru *run) waitIdle(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, reprintWait)
	defer cancel()
	err := ru.sess.waitLog(wctx, "READY after the last RESULT", func(es []oracle.Entry) bool {
		result, ready := -1, -1
		for i, e := range es {
			switch {
			case e.Dir != oracle.FromDUT:
			case e.Msg.Kind == ecr.Result:
				result = i
			case e.Msg.Kind == ecr.Ready:
				ready = i
			}
		}
		return ready > result
	})
	return ru.dutError(err)
}
