package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/report"
)

// TestShardsCoverTheLibraryOnce: shards 1/3, 2/3 and 3/3 of the library
// list every scenario exactly once between them.
func TestShardsCoverTheLibraryOnce(t *testing.T) {
	list := func(args ...string) []listed {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append([]string{"list", "--json"}, append(args, "../../scenarios")...), &out, &errb); code != 0 {
			t.Fatalf("list %v: exit %d: %s", args, code, errb.String())
		}
		var ls []listed
		if err := json.Unmarshal(out.Bytes(), &ls); err != nil {
			t.Fatal(err)
		}
		return ls
	}
	all := list()
	seen := map[string]int{}
	for k := 1; k <= 3; k++ {
		part := list("--shard", []string{"1/3", "2/3", "3/3"}[k-1])
		if len(part) < len(all)/3-1 || len(part) > len(all)/3+1 {
			t.Errorf("shard %d/3 has %d of %d", k, len(part), len(all))
		}
		for _, l := range part {
			seen[l.File+"|"+l.Name]++
		}
	}
	for _, l := range all {
		if n := seen[l.File+"|"+l.Name]; n != 1 {
			t.Errorf("%s (%s) is in %d shards", l.Name, l.File, n)
		}
	}
	if len(seen) != len(all) {
		t.Errorf("the shards list %d scenarios, the library has %d", len(seen), len(all))
	}
	var errb bytes.Buffer
	if code := run([]string{"list", "--shard", "4/3", "../../scenarios"}, &bytes.Buffer{}, &errb); code != 3 || !strings.Contains(errb.String(), "1 <= k <= n") {
		t.Errorf("--shard 4/3: exit %d: %s", code, errb.String())
	}
}

// TestRunShardRecord: a sharded run runs its share and its record says
// which shard it was.
func TestRunShardRecord(t *testing.T) {
	out := t.TempDir()
	files := []string{"../../scenarios/chip/approved-sale.yaml", "../../scenarios/chip/expired-card.yaml"}
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"run", "--shard", "2/2", "--out", out}, files...), &stdout, &stderr)
	rec, err := report.ReadFile(filepath.Join(out, report.RecordFile))
	if err != nil {
		t.Fatalf("exit %d, no record: %v\n%s%s", code, err, stdout.String(), stderr.String())
	}
	if code == 2 && os.Getenv("CI") == "" {
		t.Skipf("no emulated bench: %s", stderr.String())
	}
	if rec.Run.Shard != "2/2" || len(rec.Results) != 1 {
		t.Errorf("record: shard %q, %d results; want 2/2 and 1 (exit %d)\n%s", rec.Run.Shard, len(rec.Results), code, stderr.String())
	}
}
