package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/verdict"
)

func TestSampleEvidenceDecodes(t *testing.T) {
	for _, e := range apdus("63C2") {
		if e.Command != "VERIFY" && e.Response == nil {
			t.Errorf("sample APDU %s: response not BER-TLV (fix the sample's lengths)", e.Summary())
		}
	}
}

func TestWriteHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`,
		`data-pick="FAIL"><b>1</b>FAIL`, `data-pick="PASS"><b>1</b>PASS`,
		`<option value="smoke">smoke</option>`,
		"expected INCORRECT_PIN with 2 tries left, got RESULT DECLINED",
		"VERIFY plaintext PIN [PIN block withheld] -&gt; 63C2 wrong PIN, 2 tries left",
		"57 Track 2 Equivalent Data: 476173******0010=4912",
		"financial response: 05 DECLINED",
		"time_to_result_ms", "injected status_word",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		"&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{xss, "<img src=x", "4761739001010010", "241234", "1234567899999"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`).FindString(html); m != "" {
		t.Errorf("report loads something from outside: %s", m)
	}
	// The failure comes first, and its reason before its timeline.
	fail := strings.Index(html, `data-verdict="FAIL"`)
	pass := strings.Index(html, `data-verdict="PASS"`)
	if fail < 0 || pass < 0 || fail > pass {
		t.Errorf("FAIL at %d, PASS at %d: failures must come first", fail, pass)
	}
	reason := strings.Index(html[fail:], `class="reason FAIL"`)
	tl := strings.Index(html[fail:], "<h3>Timeline</h3>")
	if reason < 0 || tl < 0 || reason > tl {
		t.Error("the reason must come before the timeline")
	}
	// The transcript's host lines are dropped when host entries exist.
	if strings.Count(html, "financial request") != 2 {
		t.Errorf("host messages shown %d times, want 2 (one per scenario)", strings.Count(html, "financial request"))
	}
}

func TestWriteHTMLEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, Record{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "No scenario in this record.") {
		t.Error("empty record not said")
	}
}

func TestRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "record.json")
	want := sampleRecord()
	if err := WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Run, want.Run) || len(got.Results) != len(want.Results) ||
		!reflect.DeepEqual(got.Results[1].Evidence.APDUs, want.Results[1].Evidence.APDUs) ||
		!reflect.DeepEqual(got.Results[1].Evidence.Host, want.Results[1].Evidence.Host) {
		t.Error("record changed on the way through JSON")
	}
	// The record the CLI wrote before the header existed still reads.
	old := filepath.Join(dir, "old.json")
	os.WriteFile(old, []byte(`{"results": [{"scenario": "a", "file": "a.yaml", "verdict": "PASS", "started": "2026-03-01T09:30:00Z", "duration_ns": 5}]}`), 0o644)
	r, err := ReadFile(old)
	if err != nil || len(r.Results) != 1 || r.Results[0].Class != verdict.Pass {
		t.Errorf("old record: %+v, %v", r, err)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o644)
		return p
	}
	for _, p := range []string{
		filepath.Join(dir, "missing.json"),
		write("bad.json", `{"results": [`),
		write("other.json", `{"name": "not a record"}`),
		write("types.json", `{"results": {"a": 1}}`),
	} {
		_, err := ReadFile(p)
		if !errors.Is(err, ErrRecord) || !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("%s: error %v, want ErrRecord naming the file", filepath.Base(p), err)
		}
	}
}

func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := Record{Run: Run{Started: t0.Add(time.Minute), Finished: t0.Add(3 * time.Minute), Bench: "rack-1", Host: "h1", Version: "v1", Revision: "abc", Mutants: []string{"m1"}},
		Results: []verdict.Result{{Scenario: "a1"}, {Scenario: "a2"}}}
	b := Record{Run: Run{Started: t0, Finished: t0.Add(2 * time.Minute), Bench: "rack-2", Host: "h2", Version: "v1", Revision: "abc", Mutants: []string{"m2", "m1"}},
		Results: []verdict.Result{{Scenario: "b1"}}}
	m := Merge(a, b)
	var names []string
	for _, r := range m.Results {
		names = append(names, r.Scenario)
	}
	if strings.Join(names, ",") != "a1,a2,b1" {
		t.Errorf("results %v", names)
	}
	if !m.Run.Started.Equal(t0) || !m.Run.Finished.Equal(t0.Add(3*time.Minute)) || m.Run.Bench != "rack-1, rack-2" ||
		m.Run.Host != "h1, h2" || m.Run.Version != "v1" || m.Run.Revision != "abc" || strings.Join(m.Run.Mutants, ",") != "m1,m2" || len(m.Run.Shards) != 2 {
		t.Errorf("run %+v", m.Run)
	}
	// Merging a merge keeps the original shards, not the merge's header.
	mm := Merge(m, Record{Run: Run{Bench: "rack-3"}, Results: []verdict.Result{{Scenario: "c1"}}})
	if len(mm.Run.Shards) != 3 || len(mm.Results) != 4 || mm.Run.Shards[2].Bench != "rack-3" {
		t.Errorf("merge of merge: %+v", mm.Run)
	}
	if e := Merge(); e.Results == nil || len(e.Results) != 0 {
		t.Errorf("empty merge %+v", e)
	}
}

func TestWritePcaps(t *testing.T) {
	dir := t.TempDir()
	r := sampleRecord()
	if err := WritePcaps(dir, &r); err != nil {
		t.Fatal(err)
	}
	got := r.Results[1].Evidence.Pcap
	if got != "pcap/002-one-wrong-pin-then-the-right-one.pcapng" {
		t.Errorf("pcap path %q", got)
	}
	if st, err := os.Stat(filepath.Join(dir, got)); err != nil || st.Size() < 200 {
		t.Errorf("pcap file: %v", err)
	}
	if r.Results[2].Evidence != nil {
		t.Error("evidence invented for a result without any")
	}
	var buf bytes.Buffer
	WriteHTML(&buf, r)
	if !strings.Contains(buf.String(), `<a href="pcap/002-one-wrong-pin-then-the-right-one.pcapng">`) {
		t.Error("report does not link the pcap")
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"One wrong PIN, then the right one": "one-wrong-pin-then-the-right-one", xss: "script-alert-x-script", "": "scenario", "!!!": "scenario"} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	data, err := json.Marshal(sampleRecord())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"results": [{"scenario": "<b>", "verdict": "FAIL", "evidence": {"apdus": [{"capdu": "zz", "class": "x"}]}}]}`))
	f.Add([]byte(`{"run": {"shards": [{}, {}]}, "results": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		if err := WriteHTML(&bytes.Buffer{}, r); err != nil {
			t.Fatalf("a record that parses must render: %v", err)
		}
	})
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	r := sampleRecord()
	if err := WriteAll(dir, &r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(filepath.Join(dir, RecordFile))
	if err != nil || back.Results[0].Evidence.Pcap == "" {
		t.Errorf("record %v: pcap path not recorded", err)
	}
	if _, err := os.Stat(filepath.Join(dir, HTMLFile)); err != nil {
		t.Error(err)
	}
}
