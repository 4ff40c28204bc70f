package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The Debian dependencies `poshil run` needs on the embedded bench: the
// daemon, the emulated card's reader driver, and the PC/SC client library
// poshil links.
var debDepends = []string{"pcscd", "vsmartcard-vpcd", "libpcsclite1", "libc6"}

// What the package must hold.
var debContents = []string{
	"./usr/bin/poshil",
	"./usr/lib/pcsc/drivers/serial/libifdposhil.so",
	"./usr/share/bash-completion/completions/poshil",
	"./usr/share/zsh/vendor-completions/_poshil",
	"./usr/share/fish/vendor_completions.d/poshil.fish",
	"./usr/share/doc/poshil/README.md",
	"./usr/share/doc/poshil/docs/first-lab.md",
	"./usr/share/poshil/scenarios/chip/approved-sale.yaml",
	"./usr/share/poshil/scenarios/poshil-scenario.schema.json",
	"./usr/share/doc/poshil/examples/poshil-ifd.reader.conf",
}

// TestDebianPackage builds the .deb (ci/package.sh, as `make package`),
// checks the dependencies it declares, installs it with apt, runs the
// installed /usr/bin/poshil (no refterm anywhere) on one scenario of the
// packaged library from an empty folder, on a private bench whose reader
// is the packaged IFD driver (as docs/first-lab.md says to run it),
// and removes the package again. It changes the host's /usr, so it runs
// only where asked: CI=true (where it must run: it fails, not skips, when
// it cannot) or POSHIL_PACKAGE_TEST=1.
func TestDebianPackage(t *testing.T) {
	ci := os.Getenv("CI") == "true"
	if !ci && os.Getenv("POSHIL_PACKAGE_TEST") != "1" {
		t.Skip("installs a .deb on this host: CI=true or POSHIL_PACKAGE_TEST=1")
	}
	cannot := func(format string, args ...any) {
		t.Helper()
		if ci {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if os.Geteuid() != 0 {
		cannot("installing a package needs root")
	}
	for _, tool := range []string{"apt-get", "dpkg", "dpkg-deb", "unshare", "gcc", "objdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			cannot("no %s here: %v", tool, err)
		}
	}
	if m, err := exec.Command("dpkg-query", "-W", "-f=${Maintainer}", "poshil").Output(); err == nil {
		// One left by a run of this test that was killed before its
		// cleanup (go test's timeout) is removed in CI; anyone else's
		// is left alone.
		if !ci || string(m) != debMaintainer(t) {
			t.Fatalf("a poshil package (%s) is installed on this host already: the test installs and removes its own, so it leaves that one alone (dpkg -r poshil)", m)
		}
		if out, err := exec.Command("dpkg", "-r", "poshil").CombinedOutput(); err != nil {
			t.Fatalf("dpkg -r poshil (left by an earlier run): %v\n%s", err, out)
		}
		t.Log("removed the poshil package an earlier run left installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	start := time.Now()
	step := func(what string) { t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond)) }
	dist := t.TempDir()
	out, err := command(ctx, root, nil, "bash", filepath.Join(root, "ci/package.sh"), dist)
	if err != nil {
		t.Fatalf("ci/package.sh: %v\n%s", err, out)
	}
	step("built")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	deb := lines[len(lines)-1]
	if filepath.Dir(deb) != dist || !strings.HasPrefix(filepath.Base(deb), "poshil_") || !strings.HasSuffix(deb, ".deb") {
		t.Fatalf("ci/package.sh printed %q, want %s/poshil_VERSION_ARCH.deb", deb, dist)
	}

	// The control file declares what `poshil run` needs.
	info, err := command(ctx, "", nil, "dpkg-deb", "-f", deb, "Depends")
	if err != nil {
		t.Fatalf("dpkg-deb -f: %v\n%s", err, info)
	}
	declared := map[string]bool{}
	for _, d := range strings.Split(strings.TrimSpace(string(info)), ",") {
		declared[strings.Fields(d)[0]] = true
	}
	for _, want := range debDepends {
		if !declared[want] {
			t.Errorf("Depends: %s: %s missing", strings.TrimSpace(string(info)), want)
		}
	}
	contents, err := command(ctx, "", nil, "dpkg-deb", "-c", deb)
	if err != nil {
		t.Fatalf("dpkg-deb -c: %v\n%s", err, contents)
	}
	held := map[string]bool{}
	for _, l := range strings.Split(string(contents), "\n") {
		if f := strings.Fields(l); len(f) >= 6 {
			held[f[5]] = true
			if filepath.Base(f[5]) == "refterm" {
				t.Errorf("package holds %s: the reference terminal ships inside poshil", f[5])
			}
		}
	}
	for _, want := range debContents {
		if !held[want] {
			t.Errorf("package lacks %s", want)
		}
	}
	if t.Failed() {
		return
	}

	// Install with apt (the host has the dependencies; nothing is
	// downloaded), and remove it whatever happens next.
	t.Cleanup(func() {
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if out, err := command(rctx, "", nil, "dpkg", "-r", "poshil"); err != nil {
			t.Errorf("dpkg -r poshil: %v\n%s", err, out)
		}
		// Removing it leaves nothing behind (docs/first-lab.md says so).
		for _, f := range debContents {
			if _, err := os.Stat(strings.TrimPrefix(f, ".")); !os.IsNotExist(err) {
				t.Errorf("%s still there after dpkg -r: %v", f, err)
			}
		}
	})
	apt := []string{"DEBIAN_FRONTEND=noninteractive"}
	if out, err := command(ctx, "", apt, "apt-get", "install", "-y", "-q", "--no-install-recommends",
		"-o", "DPkg::Lock::Timeout=120", deb); err != nil {
		t.Fatalf("apt-get install %s: %v\n%s", deb, err, out)
	}

	step("installed")
	// Completions load in bash.
	if out, err := command(ctx, "", nil, "bash", "-c",
		"source /usr/share/bash-completion/completions/poshil && complete -p poshil"); err != nil || !strings.Contains(string(out), "poshil") {
		t.Errorf("bash completion: %v\n%s", err, out)
	}

	// poshil run from an empty folder, on a private bench (ci/isolated.sh,
	// a fresh one even when this test runs inside one) served by the
	// packaged driver; no refterm on the PATH, no POSHIL_BIN.
	work := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "POSHIL_IFD_LIB=/usr/lib/pcsc/drivers/serial/libifdposhil.so"}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "ci/isolated.sh"),
		"/usr/bin/poshil", "run", "--out", "out", "/usr/share/poshil/scenarios/chip/approved-sale.yaml")
	cmd.Dir = work
	cmd.Env = append(withoutEnv(os.Environ(), "PATH", "POSHIL_BIN", "POSHIL_ISOLATED", "POSHIL_IFD", "POSHIL_IFD_LIB"), env...)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err != nil || !strings.Contains(stdout.String(), "1 passed, 0 failed") {
		t.Fatalf("installed poshil run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	step("ran")
	if strings.Contains(stderr.String(), "IFD driver not installed") {
		t.Errorf("the private bench did not use the packaged IFD driver:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(work, "out", "junit.xml")); err != nil {
		t.Errorf("no junit.xml in the run's folder: %v", err)
	}
}

// debMaintainer is ci/nfpm.yaml's maintainer: that of a package this test built.
func debMaintainer(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "ci", "nfpm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "maintainer: "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("ci/nfpm.yaml names no maintainer")
	return ""
}

// command runs name with args in dir (the test's folder when empty), with
// extra environment, and returns its combined output.
func command(ctx context.Context, dir string, extra []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extra...)
	cmd.WaitDelay = 10 * time.Second
	return cmd.CombinedOutput()
}
