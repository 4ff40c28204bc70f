package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/verdict"
)

// TestProgressWritesWhatWriteFileWrites: after each scenario of a run,
// and for a second run into the same file, Progress writes the very bytes
// WriteFile writes for the same record (results encoded once each).
func TestProgressWritesWhatWriteFileWrites(t *testing.T) {
	dir := t.TempDir()
	got, want := filepath.Join(dir, "progress.json"), filepath.Join(dir, "whole.json")
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	result := func(i int, name string) verdict.Result {
		return verdict.Result{Scenario: name, File: "chip/" + name + ".yaml", Class: verdict.Pass, Started: t0.Add(time.Duration(i) * time.Second),
			Duration: time.Second, Outcome: "APPROVED", Reason: "a <b> & \"c\" 4761739001010010",
			Evidence: &verdict.Evidence{Transcript: []verdict.Line{{At: time.Millisecond, Source: "dut", Text: "RESULT pan=4761739001010010"}}}}
	}
	var p Progress
	check := func(run Run, rs []verdict.Result) {
		t.Helper()
		if err := p.Write(got, run, rs); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(want, Record{Run: run, Results: rs}); err != nil {
			t.Fatal(err)
		}
		g, _ := os.ReadFile(got)
		w, _ := os.ReadFile(want)
		if !bytes.Equal(g, w) {
			t.Fatalf("%d result(s): Progress wrote\n%s\nWriteFile wrote\n%s", len(rs), g, w)
		}
		if bytes.Contains(g, []byte("4761739001010010")) {
			t.Fatal("a PAN in the clear")
		}
	}
	run := NewRun("emulated", "", nil)
	check(run, nil)
	var rs []verdict.Result
	check(run, []verdict.Result{})
	for i, name := range []string{"one", "two", "three"} {
		rs = append(rs, result(i, name))
		check(run, rs)
	}
	// Another run into the same file: nothing of the first one stays
	// (TestEncodings checks what is kept).
	run2 := NewRun("emulated", "chip", []string{"no-reversal"})
	check(run2, []verdict.Result{result(7, "other")})
}
