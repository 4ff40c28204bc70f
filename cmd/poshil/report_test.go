package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/report"
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

// TestMergedReportKeepsTraceLinks: two shards' runs, each with its traces
// in its own folder, merged elsewhere: the merged record and its HTML
// report link every trace where it is (they pointed into the merge's
// folder, where none is).
func TestMergedReportKeepsTraceLinks(t *testing.T) {
	dir := t.TempDir()
	var recs []string
	for _, shard := range []string{"shard-1", "shard-2"} {
		out := filepath.Join(dir, shard, "out")
		rec, err := report.Parse("shard", []byte(shard1))
		if err != nil {
			t.Fatal(err)
		}
		rec.Run.Bench = shard
		if err := report.WriteAll(out, &rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, filepath.Join(out, report.RecordFile))
	}
	merged := filepath.Join(dir, "ci", "merged", "record.json")
	var out, errOut bytes.Buffer
	if code := run(append([]string{"report", "merge", "-o", merged}, recs...), &out, &errOut); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errOut.String())
	}
	html := filepath.Join(dir, "ci", "html", "report.html")
	if code := run([]string{"report", "html", "-o", html, merged}, &out, &errOut); code != 0 {
		t.Fatalf("html: exit %d: %s", code, errOut.String())
	}
	rec, err := report.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`<a href="([^"]+\.pcapng)">`).FindAllSubmatch(page, -1)
	if len(rec.Results) != 2 || len(links) != 2 {
		t.Fatalf("%d results, %d trace links in the report", len(rec.Results), len(links))
	}
	for i, r := range rec.Results {
		if _, err := os.Stat(filepath.Join(filepath.Dir(merged), r.Evidence.Pcap)); err != nil {
			t.Errorf("merged record's link %q leads nowhere: %v", r.Evidence.Pcap, err)
		}
		link := html2text(string(links[i][1]))
		if _, err := os.Stat(filepath.Join(filepath.Dir(html), link)); err != nil {
			t.Errorf("report's link %q leads nowhere: %v", link, err)
		}
	}
}

// html2text undoes the escaping of a link in the HTML report.
func html2text(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`).Replace(s)
}
