package isolated

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// ginkgoParallelSpecs are quick library scenarios, enough for two Ginkgo
// processes to run at once.
var ginkgoParallelSpecs = []string{
	"approved chip sale",
	"refund credits the card",
	"one wrong PIN, then the right one",
	"two applications, cardholder picks Mastercard",
}

// TestGinkgoParallel runs the scenario library's suite with the Ginkgo
// CLI, `ginkgo -p --procs 2`, as a lab or a developer does: every spec
// passes, and the two processes run scenarios at the same time, which
// they can only do each on an isolated bench of its own (on one shared
// bench the suite makes every scenario Serial, and Ginkgo runs Serial
// specs one at a time on process 1). POSHIL_GINKGO names a built ginkgo
// CLI (ci/test.sh builds one where the network is); without it the test
// builds the module's.
func TestGinkgoParallel(t *testing.T) {
	need(t)
	ginkgo := os.Getenv("POSHIL_GINKGO")
	if ginkgo == "" {
		ginkgo = filepath.Join(t.TempDir(), "ginkgo")
		build := exec.Command("go", "build", "-o", ginkgo, "github.com/onsi/ginkgo/v2/ginkgo")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build the ginkgo CLI: %v\n%s", err, out)
		}
	}
	dir := t.TempDir()
	var focus []string
	for _, s := range ginkgoParallelSpecs {
		focus = append(focus, "--focus", "scenario library "+regexp.QuoteMeta(s))
	}
	args := append([]string{"-p", "--procs", "2", "--label-filter", "!mutant", "--json-report", "report.json",
		"--output-dir", dir, "--timeout", "5m", "--no-color"}, focus...)
	cmd := exec.Command(ginkgo, append(args, "./scenarios")...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ginkgo -p: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("report.json: %v (%d suites)", err, len(reports))
	}
	type span struct {
		proc       int
		start, end time.Time
	}
	var ran []span
	for _, s := range reports[0].SpecReports {
		if s.LeafNodeType != types.NodeTypeIt || s.State == types.SpecStateSkipped {
			continue
		}
		if s.State != types.SpecStatePassed {
			t.Errorf("%s: %s on process %d: %s", s.FullText(), s.State, s.ParallelProcess, s.Failure.Message)
		}
		ran = append(ran, span{s.ParallelProcess, s.StartTime, s.EndTime})
	}
	if len(ran) != len(ginkgoParallelSpecs) {
		t.Fatalf("%d specs ran, want %d:\n%s", len(ran), len(ginkgoParallelSpecs), out)
	}
	overlap := false
	for i, a := range ran {
		for _, b := range ran[i+1:] {
			if a.proc != b.proc && a.start.Before(b.end) && b.start.Before(a.end) {
				overlap = true
			}
		}
	}
	if !overlap {
		t.Errorf("no two scenarios ran at once on the two processes (each process should have a bench of its own): %+v", ran)
	}
}
