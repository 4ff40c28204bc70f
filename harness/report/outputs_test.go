package report

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/buildinfo"
)

// TestWritePcapsRemovesStale: traces of an earlier, bigger record do not
// stay beside this record's (they were linked by nothing and read as this
// run's); other files in the folder are left alone.
func TestWritePcapsRemovesStale(t *testing.T) {
	dir := t.TempDir()
	big := sampleRecord()
	big.Results = append(big.Results, big.Results...)
	if err := WritePcaps(dir, &big); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, PcapDir, "notes.txt")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	small := sampleRecord()
	small.Results = small.Results[:2]
	if err := WritePcaps(dir, &small); err != nil {
		t.Fatal(err)
	}
	got, _ := filepath.Glob(filepath.Join(dir, PcapDir, "*.pcapng"))
	var want []string
	for _, r := range small.Results {
		if r.Evidence != nil && r.Evidence.Pcap != "" {
			want = append(want, filepath.Join(dir, r.Evidence.Pcap))
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pcap/ holds %v, want only this record's %v", got, want)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file poshil did not write was removed: %v", err)
	}
}

// TestOutputModes: every file WriteAll leaves is 0666 and every folder
// 0777 less the umask (0644 and 0755 under the usual 022), traces too.
func TestOutputModes(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "out")
	r := sampleRecord()
	if err := WriteAll(dir, &r); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o664)
		if d.IsDir() {
			want = 0o775
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v under umask 002, want %v", p, st.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if err != nil || n < 5 {
		t.Errorf("walked %d entries: %v", n, err)
	}
}

// TestNewRunNamesTheRun: the header says which poshil, bench, filter and
// mutants made the record.
func TestNewRunNamesTheRun(t *testing.T) {
	m := []string{"skip-cvm"}
	r := NewRun("rack-1", "chip && !slow", m)
	m[0] = "changed"
	if r.Bench != "rack-1" || r.LabelFilter != "chip && !slow" || strings.Join(r.Mutants, ",") != "skip-cvm" ||
		r.Version != buildinfo.Read().Short() || r.Version == "" || r.Started.IsZero() {
		t.Errorf("run %+v", r)
	}
	if rev := buildinfo.Read().Revision; rev != "" && !strings.HasPrefix(r.Revision, rev) {
		t.Errorf("revision %q, build info says %q", r.Revision, rev)
	}
}

// TestMergedHeaderPerShard: a merged report's header says "merged from N
// shards" and lists each shard's bench, host, poshil and filter on a row
// of its own, never one value joined from several shards.
func TestMergedHeaderPerShard(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := Record{Run: Run{Started: t0, Finished: t0.Add(time.Minute), Bench: "rack-1", Host: "h1", Version: "v1", LabelFilter: "chip"}}
	b := Record{Run: Run{Started: t0, Finished: t0.Add(2 * time.Minute), Bench: "rack-2", Host: "h2", Version: "v2", Mutants: []string{"skip-cvm"}}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, Merge(a, b)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "rack-1, rack-2") || strings.Contains(page, "h1, h2") || strings.Contains(page, "v1, v2") {
		t.Error("the header mixes values of different shards")
	}
	rows := regexp.MustCompile(`(?s)<tr><td>(\d)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>.*?</tr>`).FindAllStringSubmatch(page, -1)
	if len(rows) != 2 || rows[0][2] != "rack-1" || rows[0][3] != "h1" || rows[1][2] != "rack-2" || rows[1][4] != "v2" ||
		!strings.Contains(rows[0][0], "chip") || !strings.Contains(rows[1][0], "skip-cvm") || !strings.Contains(rows[1][0], "2m") {
		t.Errorf("shard rows %q", rows)
	}
	if !strings.Contains(page, "merged from 2 shards") {
		t.Error("no shard count")
	}
}
