package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGoInstallOneBinary: `go install ./cmd/poshil` into an empty GOBIN
// gives a poshil that runs the embedded emulated bench from another
// folder, with no refterm installed anywhere: the reference terminal is
// its own `poshil refterm` process.
func TestGoInstallOneBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds poshil")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	gobin := t.TempDir()
	install := exec.CommandContext(ctx, "go", "install", "./cmd/poshil")
	install.Dir = root
	install.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=false")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	if ents, _ := os.ReadDir(gobin); len(ents) != 1 {
		t.Fatalf("GOBIN holds %d files, want poshil alone", len(ents))
	}
	// No refterm on the PATH, beside poshil or in POSHIL_BIN.
	var path []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "refterm")); err != nil {
			path = append(path, d)
		}
	}
	out := t.TempDir()
	run := exec.CommandContext(ctx, filepath.Join(gobin, "poshil"), "run", "--out", out,
		filepath.Join(root, "scenarios/chip/approved-sale.yaml"), filepath.Join(root, "scenarios/chip/one-wrong-pin.yaml"))
	run.Dir = t.TempDir()
	run.Env = append(withoutEnv(os.Environ(), "POSHIL_BIN", "PATH"), "PATH="+strings.Join(path, string(filepath.ListSeparator)))
	b, err := run.CombinedOutput()
	if err != nil {
		if os.Getenv("CI") == "" && strings.Contains(string(b), "BENCH_ERROR") {
			t.Skipf("no emulated bench here (sudo ci/pcscd.sh start):\n%s", b)
		}
		t.Fatalf("poshil run: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "2 passed, 0 failed") {
		t.Errorf("summary:\n%s", b)
	}
}

// withoutEnv drops the variables named from env.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, n := range names {
			keep = keep && !strings.HasPrefix(kv, n+"=")
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
