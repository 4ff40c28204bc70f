package isolated

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLibraryOnBenches runs the scenario library with poshil run
// --parallel 1, 2 and 4 (isolated benches, a worker each) and reports
// each wall time and the ratios to one bench (x2-ratio, x4-ratio; the
// targets on 2 cores: 0.55 and 0.35). It runs the whole library (about
// 40 s for the three runs on 2 cores); POSHIL_BENCH_LIBRARY=third runs a
// fixed third of it (--shard 1/3: every third scenario, the same every
// time), where startup and the longest scenario weigh more. Run it with
// -benchtime 1x.
func BenchmarkLibraryOnBenches(b *testing.B) {
	if err := Supported(); err != nil {
		b.Skip(err)
	}
	dir := b.TempDir()
	for _, p := range []string{"cmd/poshil", "fixtures/terminal/cmd/refterm"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, filepath.Base(p)), "./"+p)
		build.Dir = "../.."
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("build %s: %v\n%s", p, err, out)
		}
	}
	// A fresh --out each run: no earlier record to balance the shard by.
	args := []string{"run"}
	if os.Getenv("POSHIL_BENCH_LIBRARY") == "third" {
		args = []string{"run", "--shard", "1/3"}
	}
	runOn := func(n int) time.Duration {
		b.Helper()
		cmd := exec.Command(filepath.Join(dir, "poshil"), append(args, "--parallel", fmt.Sprint(n), "--out", b.TempDir(), "scenarios")...)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "POSHIL_BIN="+dir, "TMPDIR="+b.TempDir())
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("poshil --parallel %d: %v\n%s", n, err, out)
		}
		return time.Since(start)
	}
	var one, two, four time.Duration
	b.ResetTimer()
	for range b.N {
		one += runOn(1)
		two += runOn(2)
		four += runOn(4)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(one.Seconds()/n, "s-1bench")
	b.ReportMetric(two.Seconds()/n, "s-2benches")
	b.ReportMetric(four.Seconds()/n, "s-4benches")
	b.ReportMetric(two.Seconds()/one.Seconds(), "x2-ratio")
	b.ReportMetric(four.Seconds()/one.Seconds(), "x4-ratio")
}
