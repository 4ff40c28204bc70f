package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/verdict"
)

const shard1 = `{"run": {"started": "2026-03-01T09:00:00Z", "finished": "2026-03-01T09:01:00Z", "bench": "rack-1"},
 "results": [{"scenario": "approved chip sale", "file": "a.yaml", "labels": ["chip"], "verdict": "PASS", "started": "2026-03-01T09:00:00Z", "duration_ns": 1000,
   "evidence": {"apdus": [{"at_ns": 5, "command": "SELECT", "capdu": "00A4040000", "sw": "9000", "status": "OK", "class": "ok"}]}}]}`

// shard2 is a record as written before the run header existed.
const shard2 = `{"results": [{"scenario": "wrong PIN", "file": "b.yaml", "verdict": "FAIL", "reason": "expected INCORRECT_PIN, got DECLINED", "started": "2026-03-01T09:00:30Z", "duration_ns": 2000}]}`

func TestReportCommands(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	os.WriteFile(a, []byte(shard1), 0o644)
	os.WriteFile(b, []byte(shard2), 0o644)
	merged := filepath.Join(dir, "out", "record.json")

	var out, errOut bytes.Buffer
	if code := run([]string{"report", "merge", "-o", merged, a, b}, &out, &errOut); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "2 scenarios: 1 passed, 1 failed") {
		t.Errorf("merge said %q", out.String())
	}
	var rec struct {
		Run struct {
			Shards []json.RawMessage `json:"shards"`
		} `json:"run"`
		Results []verdict.Result `json:"results"`
	}
	data, _ := os.ReadFile(merged)
	if err := json.Unmarshal(data, &rec); err != nil || len(rec.Results) != 2 || len(rec.Run.Shards) != 2 {
		t.Fatalf("merged record %s: %v", data, err)
	}

	html := filepath.Join(dir, "out", "report.html")
	out.Reset()
	if code := run([]string{"report", "html", "-o", html, merged}, &out, &errOut); code != 0 {
		t.Fatalf("html: exit %d: %s", code, errOut.String())
	}
	page, _ := os.ReadFile(html)
	if !bytes.Contains(page, []byte("expected INCORRECT_PIN, got DECLINED")) {
		t.Error("report lacks the failure reason")
	}

	out.Reset()
	if code := run([]string{"report", "pcap", "-o", filepath.Join(dir, "out"), a}, &out, &errOut); code != 0 {
		t.Fatalf("pcap: exit %d: %s", code, errOut.String())
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "out", "pcap", "*.pcapng")); len(m) != 1 {
		t.Errorf("pcap files %v", m)
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"results": [`), 0o644)
	for _, args := range [][]string{
		nil, {"frobnicate"}, {"merge", bad}, {"merge", "-o", filepath.Join(dir, "m.json")},
		{"merge", "-o", filepath.Join(dir, "m.json"), bad}, {"html", filepath.Join(dir, "missing.json")},
	} {
		var out, errOut bytes.Buffer
		if code := run(append([]string{"report"}, args...), &out, &errOut); code != verdict.ExitInvalid {
			t.Errorf("%v: exit %d, want %d", args, code, verdict.ExitInvalid)
		}
	}
	var out, errOut bytes.Buffer
	run([]string{"report", "merge", "-o", filepath.Join(dir, "m.json"), bad}, &out, &errOut)
	if !strings.Contains(errOut.String(), "bad.json") {
		t.Errorf("error does not name the file: %s", errOut.String())
	}
}

func TestSchemaCommand(t *testing.T) {
	for _, kind := range []string{"scenario", "bench"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"schema", kind}, &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d: %s", kind, code, errOut.String())
		}
		var s map[string]any
		if err := json.Unmarshal(out.Bytes(), &s); err != nil || s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: not a schema: %v", kind, err)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"schema", "profile"}, &out, &errOut); code != verdict.ExitInvalid {
		t.Errorf("unknown kind: exit %d", code)
	}
}
