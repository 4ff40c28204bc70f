package runner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/printer"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/verdict"
)

// TestReceiptEvidenceScrubbed: a receipt that shows the card's PAN reaches
// the oracle as printed (the PAN rule needs the digits) and the evidence
// scrubbed.
func TestReceiptEvidenceScrubbed(t *testing.T) {
	prof, err := cards.Lookup("visa-credit")
	if err != nil {
		t.Fatal(err)
	}
	p := printer.New(nil)
	p.Write([]byte("SALE\nCARD " + prof.PAN + "\n\x1dV\x00"))
	ru := &run{rig: &Rig{printer: &printerRig{prn: p}}, rec: newRecorder()}
	ru.rec.scrub = runSecrets(prof)
	raw := ru.receipts()
	if len(raw) != 1 || !strings.Contains(raw[0].Text(), prof.PAN) {
		t.Fatalf("oracle receipts %+v", raw)
	}
	ev := ru.receiptEvidence()
	if len(ev) != 1 || !ev[0].Cut || !strings.Contains(ev[0].Text, "SALE") {
		t.Fatalf("evidence %+v", ev)
	}
	if strings.Contains(ev[0].Text, prof.PAN) || strings.Contains(ev[0].Text, prof.PAN[6:12]) {
		t.Fatalf("evidence shows the PAN: %q", ev[0].Text)
	}
}

// TestPrinterHealth: an emulated printer that stopped serving its line is
// the rig's trouble (BENCH_ERROR), not the DUT's.
func TestPrinterHealth(t *testing.T) {
	r := &Rig{faultParts: map[fault.Part]any{}, Bench: &bench.Bench{Printer: &bench.Line{Port: "emulated"}}}
	if err := r.openPrinter(); err != nil {
		t.Fatal(err)
	}
	if err := r.printerHealthy(); err != nil {
		t.Fatalf("a serving printer: %v", err)
	}
	r.printer.pty.Close() // the line goes away under the printer
	select {
	case <-r.printer.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not end when its port closed")
	}
	if err := r.printerHealthy(); !errors.Is(err, verdict.ErrBench) {
		t.Fatalf("a stopped printer: %v, want a bench error", err)
	}
	r.closePrinter()
}
