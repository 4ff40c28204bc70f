package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/fixtures/terminal"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/verdict"
)

// An unknown --mutant is INVALID before any bench part moves: the run ends
// before runner.Up (no pcscd, no DUT), writes no FAIL, and says which name.
func TestRunUnknownMutantIsInvalid(t *testing.T) {
	sc := write(t, "s.yaml", "name: a\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n")
	_, emulated := benches.Emulated()
	thirdParty := write(t, "b.yaml", strings.Replace(string(emulated), "command: [refterm,", "command: [shellterm,", 1))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"typo", []string{"--mutant", "host-decline-aproved"}, "unknown mutant host-decline-aproved"},
		{"one good, one bad", []string{"--mutant", terminal.MutantNoReversal, "--mutant", "nope"}, "unknown mutant nope"},
		{"not the reference terminal", []string{"--bench", thirdParty, "--mutant", terminal.MutantNoReversal}, "does not run it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			code := run(append(append([]string{"run", "--out", out}, tc.args...), sc), &stdout, &stderr)
			if code != verdict.ExitInvalid {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, verdict.ExitInvalid, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.want)
			}
			if strings.Contains(stdout.String(), "scenario(s)") {
				t.Errorf("the run started: %s", stdout.String())
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("the run wrote %v to %s", entries, filepath.Base(out))
			}
		})
	}
	if err := checkMutants(mustDefaultBench(t), []string{terminal.MutantNoReversal}); err != nil {
		t.Errorf("a known mutant on the emulated bench: %v", err)
	}
}

func mustDefaultBench(t *testing.T) *bench.Bench {
	t.Helper()
	b, err := bench.Default()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
