package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/harness/secrets/secretstest"
)

// TestCarelessTerminalLeavesNoSecrets runs leakterm (testdata/leakterm: a
// process-adapter terminal that prints the inserted card's PAN plain,
// grouped, as hex bytes and as track 2 equivalent data, its cardholder
// name, and echoes every PIN typed) through `poshil run`, then searches
// every file in out/ (record.json, junit.xml, report.html, the pcapng) for
// each secret in each of those forms, as text and as raw bytes. The APDU
// trace must still show the AIDs in full. Real pcscd and vpcd: run it
// inside ci/isolated.sh.
func TestCarelessTerminalLeavesNoSecrets(t *testing.T) {
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("opensc-tool not installed (make deps)")
		}
		t.Fatal("CI is set but opensc-tool is not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root) // the bench file names the script relative to the repository
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--verbose", "--bench", "cmd/poshil/testdata/leakterm/bench.yaml", "--out", out,
		"cmd/poshil/testdata/leakterm/scenarios"}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "1 passed, 0 failed") {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	p, err := cards.Lookup("visa-credit")
	if err != nil {
		t.Fatal(err)
	}
	c := p.Secrets()
	pin, wrong := string(p.PIN), "2345" // the runner's wrong PIN: each digit + 1
	if err := os.WriteFile(filepath.Join(out, "stdout.txt"), stdout.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		seen[filepath.Ext(rel)] = true
		for _, f := range secretstest.Find(data, c) {
			t.Errorf("%s holds the %s", rel, f)
		}
		for _, pn := range []string{pin, wrong} {
			for what, b := range map[string][]byte{
				"PIN echo":                  []byte("ECHO " + pn),
				"PIN as ASCII hex":          []byte(hex.EncodeToString([]byte("ECHO " + pn))),
				"PIN block (format 2, BCD)": mustHex(t, "24"+pn+"FFFFFFFFFF"),
				"PIN block (format 2, hex)": []byte("24" + pn + "FFFFFFFFFF"),
			} {
				if bytes.Contains(bytes.ToUpper(data), bytes.ToUpper(b)) {
					t.Errorf("%s holds a %s (%s)", rel, what, pn)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".json", ".xml", ".html", ".pcapng"} {
		if !seen[ext] {
			t.Errorf("no %s file in out/ (%v)", ext, seen)
		}
	}
	// The terminal did print them: what is left is the masked form.
	record, err := os.ReadFile(filepath.Join(out, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DEBUG PAN 476173******0010", "DEBUG GROUPED 4761 73** **** 0010",
		"DEBUG HEX 47 61 73 ** ** ** 00 10", "DEBUG TRACK2EQ 476173******0010D4912", "DEBUG NAME ****", "ECHO ****"} {
		if !bytes.Contains(record, []byte(want)) {
			t.Errorf("record.json lacks %q: did leakterm print it?", want)
		}
	}
	var rec struct {
		Results []struct {
			Evidence struct {
				APDUs []struct{ Command, Detail, CAPDU string }
			}
		}
	}
	if err := json.Unmarshal(record, &rec); err != nil || len(rec.Results) != 1 {
		t.Fatalf("record: %v", err)
	}
	aids := 0
	for _, a := range rec.Results[0].Evidence.APDUs {
		if a.Command == "SELECT" && a.Detail == "A0000000031010" && strings.Contains(a.CAPDU, "A0000000031010") {
			aids++
		}
	}
	if aids == 0 {
		t.Errorf("no SELECT of A0000000031010 in full in the APDU trace: %+v", rec.Results[0].Evidence.APDUs)
	}
}
