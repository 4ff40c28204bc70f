package junit

import (
	"bytes"
	"testing"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/secrets/secretstest"
	"github.com/poshil/poshil/harness/verdict"
)

// TestReceiptsInSystemOut: receipts follow the transcript, scrubbed.
func TestReceiptsInSystemOut(t *testing.T) {
	c := secretstest.Visa
	rs := []verdict.Result{{
		Scenario: "receipt", Class: verdict.Pass,
		Evidence: &verdict.Evidence{Receipts: []evidence.Receipt{{Text: "SALE\nCARD " + c.PAN + "\nRESULT APPROVED"}}},
		Secrets:  secrets.New(c),
	}}
	var buf bytes.Buffer
	if err := Write(&buf, "poshil", rs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("--- receipt 1 at 0.000ms (cut short by a printer error)")) || !bytes.Contains(buf.Bytes(), []byte("RESULT APPROVED")) {
		t.Errorf("no receipt in system-out:\n%s", buf.String())
	}
	if found := secretstest.Find(buf.Bytes(), c); len(found) > 0 {
		t.Errorf("junit.xml holds %v", found)
	}
}
