package junit

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/verdict"
)

func TestWriteClasses(t *testing.T) {
	rs := []verdict.Result{
		{Scenario: "ok", Class: verdict.Pass, Duration: time.Second, Labels: []string{"chip"}},
		{Scenario: "bad fw", Class: verdict.Fail, Reason: "expected APPROVED, got DECLINED"},
		{Scenario: "rig", Class: verdict.BenchError, Reason: "pcscd down"},
		{Scenario: "file", Class: verdict.Invalid, Reason: "a.yaml:1:1: x"},
	}
	path := filepath.Join(t.TempDir(), "sub", "junit.xml")
	if err := WriteFile(path, "poshil", rs); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc testsuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 2 {
		t.Errorf("counts tests=%d failures=%d errors=%d", doc.Tests, doc.Failures, doc.Errors)
	}
	cases := doc.Suites[0].Cases
	if cases[1].Failure == nil || !strings.Contains(cases[1].Failure.Message, "got DECLINED") {
		t.Errorf("FAIL case: %+v", cases[1])
	}
	if cases[2].Error == nil || cases[2].Error.Type != "BENCH_ERROR" || cases[2].Failure != nil {
		t.Errorf("bench error must be an <error>, never a <failure>: %+v", cases[2])
	}
}
