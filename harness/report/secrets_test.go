package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/secrets/secretstest"
	"github.com/poshil/poshil/harness/verdict"
)

// leakyRecord is a record whose evidence still holds the inserted card's
// secrets in the forms a terminal prints them, and an AID.
func leakyRecord(sc *secrets.Scrubber) Record {
	c := secretstest.Visa
	return Record{Results: []verdict.Result{{
		Scenario: "leaky", Class: verdict.Pass, Started: time.Now(), Secrets: sc,
		Reason: "name " + c.Name,
		Evidence: &verdict.Evidence{
			Transcript: []verdict.Line{{Source: "dut", Text: "PAN 4761 7390 0101 0010"}},
			DUTLog:     "PAN 4761739001010010\nHEX 47 61 73 90 01 01 00 10\nT2 " + c.ChipTrack2 + "F\nASCII 34373631373339303031303130303130\n",
			APDUs: []evidence.APDUEntry{{Command: "SELECT", Detail: "A0000000031010", CAPDU: "00A4040007A0000000031010", SW: "9000", Class: evidence.ClassOK},
				{Command: "READ RECORD", CAPDU: "00B2010C00", RAPDU: "70145A084761739001010010", SW: "9000", Class: evidence.ClassOK}},
			Events:   []evidence.TimelineEntry{{Source: "card", Kind: "insert", Text: "card " + c.PAN}},
			Receipts: []evidence.Receipt{{Text: "SALE\nCARD 4761739001010010\nRESULT APPROVED", Cut: true}},
		},
	}}}
}

// TestWriteAllScrubs: record.json, report.html and the pcapng hold none of
// the run's secrets even when the evidence did; AIDs stay whole.
func TestWriteAllScrubs(t *testing.T) {
	dir := t.TempDir()
	r := leakyRecord(secrets.New(secretstest.Visa))
	if err := WriteAll(dir, &r); err != nil {
		t.Fatal(err)
	}
	checkOut(t, dir)
}

// TestEachWriterScrubs: each writer scrubs on its own (poshil report
// writes one format from a record).
func TestEachWriterScrubs(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, RecordFile), leakyRecord(secrets.New(secretstest.Visa))); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTMLFile(filepath.Join(dir, HTMLFile), leakyRecord(secrets.New(secretstest.Visa))); err != nil {
		t.Fatal(err)
	}
	r := leakyRecord(secrets.New(secretstest.Visa))
	if err := WritePcaps(dir, &r); err != nil {
		t.Fatal(err)
	}
	checkOut(t, dir)
}

// TestScrubReadBack: a record read back has no Secrets; unknown card data
// (a Luhn-valid PAN, grouped or not) is still masked.
func TestScrubReadBack(t *testing.T) {
	r := leakyRecord(nil)
	Scrub(&r)
	ev := r.Results[0].Evidence
	if strings.Contains(ev.DUTLog, secretstest.Visa.PAN) || strings.Contains(ev.Transcript[0].Text, "4761 7390 0101 0010") {
		t.Errorf("unknown-card rule not applied: %q %q", ev.DUTLog, ev.Transcript[0].Text)
	}
}

func checkOut(t *testing.T, dir string) {
	t.Helper()
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 3 {
		t.Fatalf("files %v, want record, html and one pcapng", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if found := secretstest.Find(data, secretstest.Visa); len(found) > 0 {
			t.Errorf("%s holds %v", filepath.Base(f), found)
		}
		if !strings.HasSuffix(f, ".pcapng") && !strings.Contains(string(data), "A0000000031010") {
			t.Errorf("%s lost the SELECT of A0000000031010", filepath.Base(f))
		}
	}
}

// TestReceiptInHTML: a scenario's receipts show in its section, scrubbed.
func TestReceiptInHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), HTMLFile)
	if err := WriteHTMLFile(path, leakyRecord(secrets.New(secretstest.Visa))); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if !strings.Contains(html, "Receipt printed at") || !strings.Contains(html, "RESULT APPROVED") {
		t.Error("the receipt is not in the report")
	}
	if strings.Contains(html, secretstest.Visa.PAN) {
		t.Error("the report shows the PAN")
	}
}
