package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/verdict"
)

// TestDUTProgramMissingIsInvalid: a bench whose DUT program does not exist
// is INVALID at the program's place in the bench file, before anything
// runs (it used to start the scenario and end BENCH_ERROR, or FAIL when a
// shell said exit 127).
func TestDUTProgramMissingIsInvalid(t *testing.T) {
	sc := write(t, "s.yaml", "name: a\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n")
	_, emulated := benches.Emulated()
	src := strings.Replace(string(emulated), "command: [refterm,", "command: [no-such-terminal,", 1)
	b := write(t, "b.yaml", src)
	line, col := 0, 0
	for i, l := range strings.Split(src, "\n") {
		if j := strings.Index(l, "no-such-terminal"); j >= 0 {
			line, col = i+1, j+1
		}
	}
	want := fmt.Sprintf("%s:%d:%d: dut.process.command", b, line, col)
	for _, args := range [][]string{
		{"run", "--out", t.TempDir(), "--bench", b, sc},
		{"validate", "--bench", b, sc},
	} {
		t.Run(args[0], func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(args, &stdout, &stderr); code != verdict.ExitInvalid {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, verdict.ExitInvalid, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if strings.Contains(stdout.String(), "scenario(s)") {
				t.Errorf("the run started: %s", stdout.String())
			}
		})
	}
}
