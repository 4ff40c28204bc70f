package pcapng_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/pcapng"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/secrets/secretstest"
)

// TestWriteTraceScrubs: entries that still hold the run's secrets (a
// record written before the scrub existed, a decoder that missed one)
// give a pcapng without them: APDU payloads in BCD and ASCII, host
// messages, comments.
func TestWriteTraceScrubs(t *testing.T) {
	c := secretstest.Visa
	start := time.Now()
	apdus := []evidence.APDUEntry{
		{At: time.Millisecond, Command: "SELECT", CAPDU: "00A4040007A0000000031010", RAPDU: "6F00", SW: "9000"},
		{At: 2 * time.Millisecond, Command: "PUT DATA", CAPDU: "00DA005A08" + "4761739001010010", SW: "9000"},
		{At: 2 * time.Millisecond, Command: "GET DATA", CAPDU: "80CA9F7F00",
			RAPDU: "5A084761739001010010" + "9F7F10" + "34373631373339303031303130303130", SW: "9000",
			Status: "PAN 4761 7390 0101 0010"},
	}
	host := []evidence.HostEntry{{At: 3 * time.Millisecond, Seq: 1, MTI: "0100", Summary: "auth for 47:61:73:90:01:01:00:10",
		Fields: []evidence.HostField{{ID: 2, Value: c.PAN}, {ID: 3, Value: "000000"}, {ID: 55, Value: "5A084761739001010010"}}}}
	var buf bytes.Buffer
	if err := pcapng.WriteTrace(&buf, start, apdus, host, secrets.New(c)); err != nil {
		t.Fatal(err)
	}
	if found := secretstest.Find(buf.Bytes(), c); len(found) > 0 {
		t.Errorf("pcapng holds %v", found)
	}
	aid := []byte{0xA0, 0, 0, 0, 0x03, 0x10, 0x10}
	if !bytes.Contains(buf.Bytes(), aid) {
		t.Error("the AID is not in the trace in full")
	}
}
