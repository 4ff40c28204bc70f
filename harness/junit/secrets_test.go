package junit

import (
	"bytes"
	"testing"

	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/secrets/secretstest"
	"github.com/poshil/poshil/harness/verdict"
)

// TestWriteScrubs: junit.xml is scrubbed with each result's secrets, even
// where the evidence still held them (the last scrub before writing).
func TestWriteScrubs(t *testing.T) {
	c := secretstest.Visa
	rs := []verdict.Result{{
		Scenario: "leaky", Class: verdict.Fail,
		Reason:   "saw 4761 7390 0101 0010 and 47 61 73 90 01 01 00 10 for VISA ACQUIRER TEST/CARD 01",
		Evidence: &verdict.Evidence{Transcript: []verdict.Line{{Source: "dut", Text: "T2 " + c.Track2}}},
		Secrets:  secrets.New(c),
	}}
	var buf bytes.Buffer
	if err := Write(&buf, "poshil", rs); err != nil {
		t.Fatal(err)
	}
	if found := secretstest.Find(buf.Bytes(), c); len(found) > 0 {
		t.Errorf("junit.xml holds %v:\n%s", found, buf.String())
	}
	if !bytes.Contains(buf.Bytes(), []byte("4761 73** **** 0010")) {
		t.Errorf("masked PAN not shown:\n%s", buf.String())
	}
}
