package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/isolated"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

// parallelSlice is a slice of the library: card, PIN, host and network
// scenarios, and faults; with the mutant some of them FAIL.
var parallelSlice = []string{
	"../../scenarios/chip/approved-sale.yaml",
	"../../scenarios/chip/one-wrong-pin.yaml",
	"../../scenarios/host/response-91.yaml",
	"../../scenarios/network/host-unreachable.yaml",
}

var timing = regexp.MustCompile(`\+?[0-9]+(\.[0-9]+)?(ns|µs|ms|s)\b`)

// verdictOf is what a serial and a parallel run must agree on for one
// scenario: its verdict and reason, the outcome, and its evidence as
// commands (APDUs by instruction, host messages by type, receipts), not
// by timestamps or random bytes.
func verdictOf(r verdict.Result) string {
	// Reasons quote when things happened ("at +114ms"): not a verdict.
	reason := timing.ReplaceAllString(r.Reason, "T")
	s := fmt.Sprintf("%s | %s | %s | %s | outcome %s", r.File, r.Scenario, r.Class, reason, r.Outcome)
	if ev := r.Evidence; ev != nil {
		for _, a := range ev.APDUs {
			s += " | apdu " + a.Command + " " + a.Detail
		}
		for _, h := range ev.Host {
			s += " | host " + h.MTI
		}
		s += fmt.Sprintf(" | %d receipt(s), %d fault(s)", len(ev.Receipts), len(ev.Faults))
	}
	return s
}

// TestParallelSameVerdictsAsSerial: the slice run with --parallel 2 (two
// isolated benches, a worker each) gives the results of a serial run on
// the one bench, scenario by scenario and in the same order, a mutant's
// FAILs included; the record names the benches it ran on.
func TestParallelSameVerdictsAsSerial(t *testing.T) {
	needBench(t)
	if err := isolated.Supported(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	bin := buildPoshil(t)
	workerExe = func() (string, error) { return bin, nil }
	t.Cleanup(func() { workerExe = os.Executable })
	runOnce := func(extra ...string) report.Record {
		t.Helper()
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		args := append([]string{"run", "--out", out, "--mutant", "arc-not-sent"}, extra...)
		code := run(append(args, parallelSlice...), &stdout, &stderr)
		if code != verdict.ExitFail {
			t.Fatalf("poshil %s: exit %d, want 1 (the mutant's FAILs):\n%s\n%s", strings.Join(extra, " "), code, stdout.String(), stderr.String())
		}
		return readRecord(t, out)
	}
	serial := runOnce()
	parallel := runOnce("--parallel", "2")
	if !strings.Contains(parallel.Run.Bench, "2 isolated emulated benches") {
		t.Errorf("parallel record's bench %q: want the 2 isolated benches named", parallel.Run.Bench)
	}
	if len(serial.Results) != len(parallel.Results) {
		t.Fatalf("serial %d results, parallel %d", len(serial.Results), len(parallel.Results))
	}
	classes := map[verdict.Class]int{}
	for i := range serial.Results {
		s, p := verdictOf(serial.Results[i]), verdictOf(parallel.Results[i])
		if s != p {
			t.Errorf("result %d:\nserial   %s\nparallel %s", i+1, s, p)
		}
		classes[parallel.Results[i].Class]++
	}
	if classes[verdict.Pass] == 0 || classes[verdict.Fail] == 0 {
		t.Errorf("the slice should PASS and FAIL under the mutant: %v", classes)
	}
}
