package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestThirdPartyTerminal runs a terminal that is not ours (a shell script
// reading cards with opensc-tool, docs/examples/shellterm) with nothing but
// a bench file and a firmware profile, on real pcscd and vpcd.
func TestThirdPartyTerminal(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root) // the bench file names the script relative to the repository
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--bench", "docs/examples/shellterm/bench.yaml", "--out", out, "docs/examples/shellterm/scenarios"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "5 passed, 0 failed") {
		t.Errorf("summary: %s", stdout.String())
	}
	record, err := os.ReadFile(filepath.Join(out, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(record, []byte("dut-in")) || !bytes.Contains(record, []byte("dut-out")) {
		t.Errorf("the transcript does not show the terminal's own lines")
	}
	// shellterm printed its receipt copy on the emulated ESC/POS printer.
	if !bytes.Contains(record, []byte(`"receipts"`)) || !bytes.Contains(record, []byte("*** DUPLICATE ***")) {
		t.Errorf("no receipt from shellterm in the record")
	}
}
