package runner

import (
	"strings"
	"testing"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/harness/secrets/secretstest"
)

// TestRecorderScrubs: every transcript line goes through the run's
// scrubber, built from the scenario's card: the PAN grouped, in hex bytes,
// as track 2 equivalent data, the name and the typed PINs (right and
// wrong) are masked; AIDs, APDU headers and amounts are not.
func TestRecorderScrubs(t *testing.T) {
	p, err := cards.Lookup("visa-credit")
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	r.scrub = runSecrets(p)
	wrong := wrongPIN(string(p.PIN))
	for _, l := range []string{
		"PAN 4761 7390 0101 0010", "HEX 47 61 73 90 01 01 00 10", "T2 4761739001010010D4912201",
		"NAME " + p.CardholderName, "ECHO " + string(p.PIN), "ECHO " + wrong,
		"SELECT A0000000031010 00A4040007A0000000041010 amount=1250",
	} {
		r.add("dut", l)
	}
	text := ""
	for _, l := range r.snapshot() {
		text += l.Text + "\n"
	}
	if found := secretstest.Find([]byte(text), p.Secrets()); len(found) > 0 {
		t.Errorf("transcript holds %v:\n%s", found, text)
	}
	for _, pin := range []string{"ECHO " + string(p.PIN), "ECHO " + wrong} {
		if strings.Contains(text, pin+"\n") {
			t.Errorf("PIN echo %q survives:\n%s", pin, text)
		}
	}
	if !strings.Contains(text, "SELECT A0000000031010 00A4040007A0000000041010 amount=1250") {
		t.Errorf("AIDs or amount masked:\n%s", text)
	}
	if d := describe(ecr.Message{Kind: ecr.Result, Fields: []ecr.Field{{Key: "pan", Value: "4111111111111111"}, {Key: "aid", Value: "A0000000031010"}}}); d != "RESULT pan=411111******1111 aid=A0000000031010" {
		t.Errorf("describe = %q", d)
	}
	if d := describe(ecr.Message{Kind: ecr.Key, Fields: []ecr.Field{{Key: "keys", Value: "9876E"}}}); d != "KEY keys=****E" {
		t.Errorf("describe(KEY) = %q: typed digits shown", d)
	}
}
