package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneShotTerminal puts a one-shot kernel under test (a shell script:
// amount on its command line, outcome in its exit status and last line,
// a prompt without a newline; docs/examples/oneshot) with only a bench
// file and a profile, run from another folder: the bench names its
// script and profile relative to itself, and has no host.
func TestOneShotTerminal(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--bench", filepath.Join(root, "docs/examples/oneshot/bench.yaml"), "--out", out, filepath.Join(root, "docs/examples/oneshot/scenarios")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "4 passed, 0 failed") {
		t.Errorf("summary: %s", stdout.String())
	}
	record, err := os.ReadFile(filepath.Join(out, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RESULT read from the program's last line", "RESULT from exit status 2", "start program: 1250"} {
		if !bytes.Contains(record, []byte(want)) {
			t.Errorf("the record does not show %q", want)
		}
	}
}
