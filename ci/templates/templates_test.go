// Package templates holds poshil's CI templates (GitLab CI, GitHub
// Actions) and the tests that run them for real: the GitLab pipeline
// under gitlab-ci-local's shell executor on emulated benches, the GitHub
// workflow through an independent workflow validator.
package templates

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

// npmBin is where ci/deps.sh installs the npm tools these tests use.
const npmBin = "/usr/local/lib/poshil-npm/node_modules/.bin"

// tool finds an npm tool, or skips (fails under CI=true) where it is missing.
func tool(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(npmBin, name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing (make deps installs it): %v", name, err)
		}
		t.Skipf("%s missing: make deps installs it", name)
	}
	return path
}

// repoRoot is the module's root, two folders up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func copyFile(t *testing.T, from, to string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if edit != nil {
		s = edit(s)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runIn(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// labPipeline is a lab's .gitlab-ci.yml: the template included, one job
// per bench with its shard.
const labPipeline = `include:
  - local: ci/templates/poshil.gitlab-ci.yml
poshil:
  extends: .poshil-bench
  parallel:
    matrix:
      - { BENCH: emu-1, BENCH_TYPE: emulated, SHARD: "1/2" }
      - { BENCH: emu-2, BENCH_TYPE: emulated, SHARD: "2/2" }
`

// TestGitLabPipeline runs the GitLab template for real with
// gitlab-ci-local's shell executor: two shard jobs on two bench files,
// their artifacts passed to the report job, which merges them. The merged
// record holds each scenario exactly once with the verdicts a single run
// gives, and its header names both shards and both benches.
func TestGitLabPipeline(t *testing.T) {
	if os.Getenv("POSHIL_ISOLATED") == "" && os.Getenv("CI") == "" {
		t.Skip("needs a private bench: ci/isolated.sh go test ./ci/templates -run " + t.Name())
	}
	glci := tool(t, "gitlab-ci-local")
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatalf("rsync missing (gitlab-ci-local copies the project with it; make deps installs it): %v", err)
	}
	root := repoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	bin := t.TempDir()
	runIn(t, ctx, root, nil, "go", "build", "-o", filepath.Join(bin, "poshil"), "./cmd/poshil")

	lab := t.TempDir()
	copyFile(t, filepath.Join(root, "ci/templates/poshil.gitlab-ci.yml"), filepath.Join(lab, "ci/templates/poshil.gitlab-ci.yml"), nil)
	scenarios := []string{"chip/approved-sale.yaml", "host/insufficient-funds.yaml", "chip/card-pulled.yaml"}
	for _, s := range scenarios {
		copyFile(t, filepath.Join(root, "scenarios", s), filepath.Join(lab, "scenarios", s), nil)
	}
	firstName := regexp.MustCompile(`(?m)^name: .*$`)
	for _, b := range []string{"emu-1", "emu-2"} {
		copyFile(t, filepath.Join(root, "fixtures/benches/emulated.yaml"), filepath.Join(lab, "lab/benches", b+".yaml"),
			func(s string) string { return firstName.ReplaceAllString(s, "name: "+b) })
	}
	if err := os.WriteFile(filepath.Join(lab, ".gitlab-ci.yml"), []byte(labPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	git := []string{"-c", "user.email=lab@poshil.test", "-c", "user.name=lab"}
	runIn(t, ctx, lab, nil, "git", "init", "-q")
	runIn(t, ctx, lab, nil, "git", "remote", "add", "origin", "https://gitlab.example/lab/poshil-lab.git")
	runIn(t, ctx, lab, nil, "git", "add", "-A")
	runIn(t, ctx, lab, nil, "git", append(git, "commit", "-qm", "lab")...)

	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out := runIn(t, ctx, lab, env, glci, "--shell-isolation")
	t.Logf("gitlab-ci-local:\n%s", out)
	for _, job := range []string{"poshil: [emu-1,emulated,1/2]", "poshil: [emu-2,emulated,2/2]", "poshil-report"} {
		if !regexp.MustCompile(`(?m)^\s*PASS\s+` + regexp.QuoteMeta(job) + `\s*$`).MatchString(out) {
			t.Errorf("job %q did not pass", job)
		}
	}

	// Artifacts passed: each shard's record came back, and the report job
	// merged them.
	var shardNames []string
	for _, b := range []string{"emu-1", "emu-2"} {
		r, err := report.ReadFile(filepath.Join(lab, "out", b, "record.json"))
		if err != nil {
			t.Fatalf("shard artifact of %s: %v", b, err)
		}
		shardNames = append(shardNames, r.Run.Shard)
	}
	merged, err := report.ReadFile(filepath.Join(lab, "out/record.json"))
	if err != nil {
		t.Fatalf("merged record: %v", err)
	}
	if _, err := os.Stat(filepath.Join(lab, "out/report.html")); err != nil {
		t.Errorf("merged HTML report: %v", err)
	}
	seen := map[string]int{}
	for _, r := range merged.Results {
		seen[r.File]++
		if r.Class != verdict.Pass {
			t.Errorf("%s: %s, want PASS (as a single run gives)", r.File, r.Class)
		}
	}
	for _, s := range scenarios {
		if n := seen[filepath.Join("scenarios", s)]; n != 1 {
			t.Errorf("%s ran %d times in the merged record, want exactly once (record: %v)", s, n, keys(seen))
		}
	}
	if len(merged.Results) != len(scenarios) {
		t.Errorf("merged record has %d results, want %d", len(merged.Results), len(scenarios))
	}
	slices.Sort(shardNames)
	if fmt.Sprint(shardNames) != "[1/2 2/2]" {
		t.Errorf("shards ran %v, want [1/2 2/2]", shardNames)
	}
	var hdr []string
	for _, s := range merged.Run.Shards {
		hdr = append(hdr, s.Bench+"@"+s.Shard)
	}
	slices.Sort(hdr)
	if fmt.Sprint(hdr) != "[emu-1@1/2 emu-2@2/2]" {
		t.Errorf("merged header shards = %v, want [emu-1@1/2 emu-2@2/2]", hdr)
	}
}

func keys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestGitHubWorkflow checks the GitHub Actions template with an
// independent validator of workflow files (action-validator, from npm,
// which holds GitHub's workflow schema), and that it keeps the promises
// docs/lab.md makes: one job per bench on its runner labels, a
// concurrency group per bench that cancels nothing, BENCH_ERROR alone
// retried, and a merge job that runs whatever the shards' verdicts.
func TestGitHubWorkflow(t *testing.T) {
	validator := tool(t, "action-validator")
	path := filepath.Join(repoRoot(t), "ci/templates/poshil.github-workflow.yml")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runIn(t, ctx, ".", nil, validator, path)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wf := string(data)
	for _, want := range []string{
		`runs-on: [self-hosted, poshil, "${{ matrix.bench_type }}", "${{ matrix.bench }}"]`,
		"group: poshil-${{ matrix.bench }}",
		"cancel-in-progress: false",
		`[ "$rc" -eq 2 ] || break`,
		"needs: poshil\n    if: always()",
		`report merge -o out/record.json`,
	} {
		if !strings.Contains(wf, want) {
			t.Errorf("workflow lacks %q", want)
		}
	}
}

// TestValidatorRejects proves the workflow validator is not a rubber
// stamp: a job without runs-on is refused.
func TestValidatorRejects(t *testing.T) {
	validator := tool(t, "action-validator")
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("on: push\njobs:\n  a:\n    steps:\n      - run: echo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, validator, bad).CombinedOutput(); err == nil {
		t.Fatalf("action-validator accepted a job without runs-on:\n%s", out)
	}
}
