package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/pcsc"
	"github.com/poshil/poshil/harness/verdict"
)

// TestPcscdPulledIsBenchError stops pcscd under a running scenario: the
// verdict must be BENCH_ERROR (exit 2) within 5 s, never a firmware FAIL,
// and nothing may hang. It restarts pcscd afterwards. It disturbs every
// PC/SC user on the bench, so it runs in CI (where `make test` gives the
// packages a private pcscd of their own) or when POSHIL_RIG_TESTS=1.
func TestPcscdPulledIsBenchError(t *testing.T) {
	if os.Getenv("CI") == "" && os.Getenv("POSHIL_RIG_TESTS") == "" {
		t.Skip("stops the machine's pcscd: set POSHIL_RIG_TESTS=1 (CI runs it)")
	}
	root := buildRefterm(t)
	sc := write(t, "held.yaml", held)
	restart := func() {
		cmd := exec.Command("bash", filepath.Join(root, "ci/pcscd.sh"), "start")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("restarting pcscd: %v\n%s", err, out)
		}
	}
	t.Cleanup(restart)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"run", "--out", t.TempDir(), sc}, &out, &errOut) }()

	// The scenario is under way once the emulated card is in the reader.
	// While the run brings its rig up the reader may be briefly missing
	// or unavailable to another client: look again until the deadline.
	client, err := pcsc.Open()
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	for {
		err = client.Reader("Virtual PCD 00 00").WaitPresent(wctx)
		if err == nil || wctx.Err() != nil || !(errors.Is(err, pcsc.ErrReaderGone) || errors.Is(err, pcsc.ErrNoReader)) {
			break
		}
		select {
		case <-wctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	wcancel()
	client.Close()
	if err != nil {
		t.Fatalf("the scenario never inserted its card: %v", err)
	}

	// pcscd.sh stop kills only this bench's pcscd inside a private
	// namespace (ci/isolated.sh): pids are shared machine-wide, and a
	// plain pkill there would pull every other bench's pcscd too.
	if out, err := exec.Command("bash", filepath.Join(root, "ci/pcscd.sh"), "stop").CombinedOutput(); err != nil {
		t.Fatalf("stopping pcscd: %v %s", err, out)
	}
	killed := time.Now()
	select {
	case code := <-done:
		took := time.Since(killed)
		t.Logf("verdict after %v:\n%s%s", took.Round(time.Millisecond), out.String(), errOut.String())
		if code != verdict.ExitBenchError {
			t.Errorf("exit %d, want %d (bench error)", code, verdict.ExitBenchError)
		}
		if !strings.Contains(out.String(), "BENCH_ERROR") {
			t.Errorf("the scenario line does not say BENCH_ERROR")
		}
		if took > 5*time.Second {
			t.Errorf("BENCH_ERROR after %v, limit 5s", took)
		}
	case <-ctx.Done():
		t.Fatal("poshil run hung after pcscd stopped")
	}
}

// buildRefterm builds the reference terminal for tests that run the CLI
// on the emulated bench, points $POSHIL_BIN at it and returns the
// repository root.
func buildRefterm(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "refterm"), "./fixtures/terminal/cmd/refterm")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build refterm: %v\n%s", err, out)
	}
	t.Setenv("POSHIL_BIN", bin)
	return root
}
