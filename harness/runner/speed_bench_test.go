package runner_test

// Scenario speed on the emulated bench (make bench; docs/speed.md): a plain
// chip sale's wall time and harness overhead, and the whole library run
// by the poshil binary (wall time, peak RSS). They need the emulated bench
// (make deps, or ci/isolated.sh) and are skipped by -short.

import (
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// repoRoot is the module root, from this package's folder.
func repoRoot(b *testing.B) string {
	b.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	return root
}

// goBuild builds pkg (a path under the module root) into dir/name.
func goBuild(b *testing.B, root, dir, name, pkg string) string {
	b.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	return out
}

// percentile is the p-th percentile (0 < p <= 100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// overheadOf is a result's harness_overhead_ms measurement.
func overheadOf(b *testing.B, r verdict.Result) time.Duration {
	b.Helper()
	if r.Evidence != nil {
		for _, m := range r.Evidence.Measurements {
			if m.Name == runner.OverheadMeasurement {
				return time.Duration(m.Value * float64(time.Millisecond))
			}
		}
	}
	b.Fatalf("%s: no %s measurement", r.Scenario, runner.OverheadMeasurement)
	return 0
}

// BenchmarkScenarioChipSale runs scenarios/chip/approved-sale.yaml (the
// plain chip sale: SALE, card, PIN, host approval, REMOVE CARD) on one rig
// and reports its wall time (p50-ms, p99-ms: from the DUT's start to the
// bench's safe state, as the record times a scenario) and its harness
// overhead (overhead-p50-ms, overhead-p99-ms). Every run must PASS.
func BenchmarkScenarioChipSale(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the emulated bench")
	}
	root := repoRoot(b)
	b.Setenv("POSHIL_BIN", filepath.Dir(goBuild(b, root, b.TempDir(), "refterm", "./fixtures/terminal/cmd/refterm")))
	scs, err := scenario.LoadFiles([]string{filepath.Join(root, "scenarios/chip/approved-sale.yaml")})
	if err != nil {
		b.Fatal(err)
	}
	emulated, err := bench.Default()
	if err != nil {
		b.Fatal(err)
	}
	rig, err := runner.Up(b.Context(), emulated, runner.Options{})
	if err != nil {
		b.Fatalf("the emulated bench must come up (make deps starts pcscd): %v", err)
	}
	defer rig.Close()
	var walls, overheads []time.Duration
	b.ResetTimer()
	for range b.N {
		r := rig.Run(b.Context(), scs[0])
		if r.Class != verdict.Pass {
			b.Fatalf("%s: %s %s", r.Scenario, r.Class, r.Reason)
		}
		walls = append(walls, r.Duration)
		overheads = append(overheads, overheadOf(b, r))
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(walls, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(walls, 99)), "p99-ms")
	b.ReportMetric(ms(percentile(overheads, 50)), "overhead-p50-ms")
	b.ReportMetric(ms(percentile(overheads, 99)), "overhead-p99-ms")
}

// BenchmarkLibrary runs the whole scenario library with the poshil binary
// on one emulated bench (`poshil run scenarios`, as make run does) and
// reports its wall time (wall-s), poshil's peak resident set (peak-rss-MB:
// the child's ru_maxrss, which also covers the reference terminals it
// started and reaped, so it bounds poshil's own from above), and the
// harness overhead per scenario from the record (overhead-p50-ms,
// overhead-max-ms). Every scenario must PASS. One iteration is a full
// library run (make bench runs it once).
func BenchmarkLibrary(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the emulated bench")
	}
	root := repoRoot(b)
	bin := b.TempDir()
	poshil := goBuild(b, root, bin, "poshil", "./cmd/poshil")
	goBuild(b, root, bin, "refterm", "./fixtures/terminal/cmd/refterm")
	var walls []time.Duration
	var rss int64
	var overheads []time.Duration
	b.ResetTimer()
	for range b.N {
		out := b.TempDir()
		cmd := exec.Command(poshil, "run", "--out", out, "scenarios")
		cmd.Dir = root
		start := time.Now()
		msg, err := cmd.CombinedOutput()
		walls = append(walls, time.Since(start))
		if err != nil {
			b.Fatalf("poshil run scenarios: %v\n%s", err, msg)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = max(rss, ru.Maxrss) // KiB on Linux
		}
		rec, err := report.ReadFile(filepath.Join(out, report.RecordFile))
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rec.Results {
			if r.Class != verdict.Pass {
				b.Fatalf("%s: %s %s", r.Scenario, r.Class, r.Reason)
			}
			overheads = append(overheads, overheadOf(b, r))
		}
	}
	b.StopTimer()
	b.ReportMetric(percentile(walls, 50).Seconds(), "wall-s")
	b.ReportMetric(float64(rss)/1024, "peak-rss-MB")
	b.ReportMetric(ms(percentile(overheads, 50)), "overhead-p50-ms")
	b.ReportMetric(ms(percentile(overheads, 100)), "overhead-max-ms")
}
