package runner

import (
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/printer"
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
