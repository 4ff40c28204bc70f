package junit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/verdict"
)

// TestProgressWritesWhatWriteFileWrites: after each scenario of a run
// (PASS, FAIL, BENCH_ERROR, text to escape, a result without evidence),
// and for a second run into the same file, Progress writes the very bytes
// WriteFile writes for the same results.
func TestProgressWritesWhatWriteFileWrites(t *testing.T) {
	dir := t.TempDir()
	got, want := filepath.Join(dir, "progress.xml"), filepath.Join(dir, "whole.xml")
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	classes := []verdict.Class{verdict.Pass, verdict.Fail, verdict.BenchError, verdict.Invalid}
	result := func(i int, name string) verdict.Result {
		r := verdict.Result{Scenario: name, File: "scenarios/chip/" + name + ".yaml", Class: classes[i%len(classes)], Started: t0.Add(time.Duration(i) * time.Second),
			Duration: time.Duration(i+1) * 1234567 * time.Microsecond, Reason: "a <b> & \"c\" ></testsuite> 4761739001010010"}
		if i != 2 {
			r.Evidence = &verdict.Evidence{Transcript: []verdict.Line{{At: time.Millisecond, Source: "dut", Text: "RESULT pan=4761739001010010 <x>"}}}
		}
		return r
	}
	var p Progress
	check := func(rs []verdict.Result) {
		t.Helper()
		if err := p.Write(got, "poshil", rs); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(want, "poshil", rs); err != nil {
			t.Fatal(err)
		}
		g, _ := os.ReadFile(got)
		w, _ := os.ReadFile(want)
		if !bytes.Equal(g, w) {
			t.Fatalf("%d result(s): Progress wrote\n%s\nWriteFile wrote\n%s", len(rs), g, w)
		}
	}
	check(nil)
	var rs []verdict.Result
	for i, name := range []string{"one", "two", "three", "four", "five"} {
		rs = append(rs, result(i, name))
		check(rs)
	}
	// Another run into the same file: nothing of the first one stays
	// (TestEncodings checks what is kept).
	check([]verdict.Result{result(7, "other")})
}

// TestProgressEncodesEachCaseOnce: a result already written is not
// encoded again (its case is reused as it was), so rewriting the file
// after every scenario costs the new scenario's case, not all of them.
func TestProgressEncodesEachCaseOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	rs := []verdict.Result{{Scenario: "one", File: "a.yaml", Class: verdict.Fail, Reason: "first"}}
	var p Progress
	if err := p.Write(path, "poshil", rs); err != nil {
		t.Fatal(err)
	}
	rs[0].Reason = "changed in place"
	rs = append(rs, verdict.Result{Scenario: "two", File: "b.yaml", Class: verdict.Fail, Reason: "second"})
	if err := p.Write(path, "poshil", rs); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte("changed in place")) || !bytes.Contains(b, []byte("second")) {
		t.Errorf("the first case was encoded again, or the second not at all:\n%s", b)
	}
}
