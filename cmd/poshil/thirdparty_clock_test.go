package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/faketime"
)

// TestThirdPartyClock runs shellterm (a shell script, no Go code) with a
// wrong clock: the clock fault starts it under libfaketime, its date (a C
// program) says 2023-06-15 and the receipt it prints on the emulated
// ESC/POS printer carries that date; on a clock reset to 2000 it refuses
// to trade. It needs libfaketime (Debian package faketime, or
// POSHIL_LIBFAKETIME naming the library).
func TestThirdPartyClock(t *testing.T) {
	if faketime.Library(os.Getenv) == "" {
		t.Skip("libfaketime not installed (apt-get install faketime)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root) // the bench file names the script relative to the repository
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--bench", "docs/examples/shellterm/bench.yaml", "--out", out, "docs/examples/shellterm/clock"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "2 passed, 0 failed") {
		t.Errorf("summary: %s", stdout.String())
	}
	record, err := os.ReadFile(filepath.Join(out, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SHELLTERM 1.0\\n2023-06-15 12:0", "CLOCK INVALID 2000-01-01 00:00", "RESULT CLOCK"} {
		if !bytes.Contains(record, []byte(want)) {
			t.Errorf("the record does not show %q", want)
		}
	}
}

// TestThirdPartyClockNeedsLibfaketime: a bench whose DUT takes its clock
// through libfaketime (dut.process.clock: libfaketime) is BENCH_ERROR
// when the library is missing, never a FAIL of a DUT that ran on the real
// clock.
func TestThirdPartyClockNeedsLibfaketime(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	t.Setenv(faketime.LibVar, filepath.Join(t.TempDir(), "no-libfaketime.so.1"))
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--bench", "docs/examples/shellterm/bench.yaml", "--out", out, "docs/examples/shellterm/clock/clock-invalid.yaml"}, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (bench error)\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "libfaketime is not installed") {
		t.Errorf("the bench error does not say why: %s", stdout.String())
	}
}
