package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/buildinfo"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

// commands is every command of the tree, the root first.
func commands(t *testing.T) []*cobra.Command {
	t.Helper()
	root := newRoot(&app{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var all []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		all = append(all, c)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return all
}

// pathArgs is the command line that reaches c ("run", "report merge").
func pathArgs(c *cobra.Command) []string {
	return strings.Fields(strings.TrimPrefix(c.CommandPath(), "poshil"))
}

// TestHelpEverywhere: -h and --help exit 0 for every command, with usage
// on stdout and nothing on stderr (legacy commands included: a command
// made with legacy() whose function does not answer -h fails here).
func TestHelpEverywhere(t *testing.T) {
	for _, c := range commands(t) {
		for _, h := range []string{"-h", "--help"} {
			args := append(pathArgs(c), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var out, errOut bytes.Buffer
				if code := execute(context.Background(), args, &out, &errOut); code != 0 {
					t.Fatalf("exit %d, want 0; stderr %s", code, errOut.String())
				}
				// A legacy command prints its own usage, in its own words.
				want := "Usage:"
				if c.DisableFlagParsing {
					want = ""
				}
				if out.Len() == 0 || !strings.Contains(out.String(), want) || errOut.Len() > 0 {
					t.Errorf("stdout %q\nstderr %q", out.String(), errOut.String())
				}
			})
		}
	}
}

// TestLegacyCommand: a plain function becomes a command; its flags reach
// it untouched and its return value is the exit code; asking it for help
// is exit 0 with its usage on stdout.
func TestLegacyCommand(t *testing.T) {
	var got []string
	fn := func(args []string, stdout, stderr io.Writer) int {
		got = args
		fs := flag.NewFlagSet("poshil thing", flag.ContinueOnError)
		fs.SetOutput(stderr)
		n := fs.Int("n", 0, "a number")
		if err := fs.Parse(args); err != nil {
			return verdict.ExitInvalid
		}
		fmt.Fprintln(stdout, "n is", *n)
		return 2
	}
	old := constructors
	defer func() { constructors = old }()
	register(legacy("thing", "does a thing", fn))
	var out, errOut bytes.Buffer
	if code := execute(context.Background(), []string{"thing", "-n", "7", "x"}, &out, &errOut); code != 2 {
		t.Errorf("exit %d, want the function's 2", code)
	}
	if strings.Join(got, " ") != "-n 7 x" || out.String() != "n is 7\n" {
		t.Errorf("args %q, stdout %q", got, out.String())
	}
	out.Reset()
	if code := execute(context.Background(), []string{"thing", "--help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "a number") {
		t.Errorf("--help: exit %d, stdout %q", code, out.String())
	}
}

// TestNumericFlagsRangeChecked: every integer and duration flag of every
// command refuses -1 (exit 3, naming the flag), and the upper bounds hold.
func TestNumericFlagsRangeChecked(t *testing.T) {
	n := 0
	for _, c := range commands(t) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			switch f.Value.Type() {
			case "int", "int64", "uint", "duration", "float64":
			default:
				return
			}
			n++
			bad := "-1"
			if f.Value.Type() == "duration" {
				bad = "-1s"
			}
			args := append(pathArgs(c), "--"+f.Name, bad)
			if c.Flags().Lookup("out") != nil {
				// Should the check be gone, the run writes here, not in ./out.
				args = append(args, "--out", t.TempDir())
			}
			var out, errOut bytes.Buffer
			code := execute(context.Background(), args, &out, &errOut)
			if code != verdict.ExitInvalid || !strings.Contains(errOut.String(), "--"+f.Name+" "+bad) {
				t.Errorf("%v: exit %d, stderr %q; want 3 naming the flag", args, code, errOut.String())
			}
		})
	}
	if n < 3 {
		t.Errorf("found %d numeric flags; the walk is broken", n)
	}
	for _, args := range [][]string{{"run", "--repeat", "0"}, {"sim", "card", "--slot", "99999"}} {
		var out, errOut bytes.Buffer
		if code := execute(context.Background(), args, &out, &errOut); code != verdict.ExitInvalid {
			t.Errorf("%v: exit %d, want 3", args, code)
		}
	}
}

// TestFlagsAnywhere: flags after the scenarios are flags, not scenario
// paths (--out X went to X, not ./out).
func TestFlagsAnywhere(t *testing.T) {
	sc := write(t, "s.yaml", "name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\nbogus: 1\n")
	out := filepath.Join(t.TempDir(), "X")
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", sc, "--out", out, "-v", "--label-filter", "chip"}, &stdout, &stderr)
	if code != verdict.ExitInvalid {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "--out") {
		t.Errorf("--out taken as a scenario: %s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "junit.xml")); err != nil {
		t.Errorf("no junit.xml in --out given after the scenario: %v", err)
	}
}

func TestUsageErrorsAreInvalid(t *testing.T) {
	for _, args := range [][]string{nil, {"frob"}, {"run", "--frob"}, {"validate"}, {"schema"}, {"sim"}, {"sim", "card", "x"}, {"report"}, {"report", "html"}} {
		var out, errOut bytes.Buffer
		if code := execute(context.Background(), args, &out, &errOut); code != verdict.ExitInvalid || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 3 with a message", args, code, errOut.String())
		}
	}
}

// TestVersion: --version prints the build info's version and revision.
func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := execute(context.Background(), []string{"--version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if want := buildinfo.Read().String() + "\n"; out.String() != want || !strings.Contains(want, "(revision ") {
		t.Errorf("--version printed %q, want %q", out.String(), want)
	}
}

// TestCompletionLoadsInBash: the bash script loads and registers poshil's
// completion; zsh and fish scripts are made (and loaded when the shell is
// installed).
func TestCompletionLoadsInBash(t *testing.T) {
	shells := map[string]string{
		"bash": "source %s && complete -p poshil",
		"zsh":  "autoload -U compinit && compinit -u && source %s && whence -w _poshil",
		"fish": "source %s && complete -c poshil | head -1",
	}
	for sh, check := range shells {
		t.Run(sh, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := execute(context.Background(), []string{"completion", sh}, &out, &errOut); code != 0 || out.Len() == 0 {
				t.Fatalf("exit %d, %d bytes: %s", code, out.Len(), errOut.String())
			}
			path, err := exec.LookPath(sh)
			if err != nil {
				if sh == "bash" {
					t.Fatal("bash not installed")
				}
				t.Skipf("%s not installed; script made but not loaded", sh)
			}
			f := filepath.Join(t.TempDir(), "poshil."+sh)
			if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(path, "-c", fmt.Sprintf(check, f))
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
			got, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(got), "poshil") {
				t.Errorf("%s did not load the script: %v\n%s", sh, err, got)
			}
		})
	}
}

func TestListJSON(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a.yaml": "name: alpha\nlabels: [chip]\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n",
		"b.yaml": "name: beta\nlabels: [magstripe]\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"list", dir, "--json", "-l", "chip"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got []listed
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if len(got) != 1 || got[0].Name != "alpha" || got[0].File != filepath.Join(dir, "a.yaml") || strings.Join(got[0].Labels, ",") != "chip" || got[0].Mutants == nil {
		t.Errorf("got %+v", got)
	}
}

// TestRerunFailed: --rerun-failed picks exactly the scenarios that did
// not PASS in the record (a missing DUT program makes each picked
// scenario INVALID before the bench moves, so the new record lists the
// selection without a bench).
func TestRerunFailed(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for _, name := range []string{"a", "b", "c"} {
		p := filepath.Join(dir, name+".yaml")
		files[name] = p
		body := "name: " + name + "\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n"
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := filepath.Join(dir, "old.json")
	rec := report.Record{Results: []verdict.Result{
		{Scenario: "a #1", File: files["a"], Class: verdict.Pass},
		{Scenario: "b #2", File: files["b"], Class: verdict.Fail},
		{Scenario: "c", File: files["c"], Class: verdict.BenchError},
		{Scenario: "a #2", File: files["a"], Class: verdict.Pass},
	}}
	if err := report.WriteFile(old, rec); err != nil {
		t.Fatal(err)
	}
	_, emulated := benches.Emulated()
	b := write(t, "b.yaml", strings.Replace(string(emulated), "command: [refterm,", "command: [no-such-terminal,", 1))
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	run([]string{"run", "--rerun-failed", old, "--bench", b, "--out", out}, &stdout, &stderr)
	got, err := report.ReadFile(filepath.Join(out, report.RecordFile))
	if err != nil {
		t.Fatalf("%v; stderr %s", err, stderr.String())
	}
	var names []string
	for _, r := range got.Results {
		names = append(names, r.Scenario)
	}
	if strings.Join(names, ",") != "b,c" {
		t.Errorf("rerun picked %v, want b,c", names)
	}

	passed := filepath.Join(dir, "passed.json")
	if err := report.WriteFile(passed, report.Record{Results: rec.Results[:1]}); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run([]string{"run", "--rerun-failed", passed}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "nothing to rerun") {
		t.Errorf("all passed: exit %d, stdout %q", code, stdout.String())
	}
	if code := run([]string{"run", "--rerun-failed", filepath.Join(dir, "missing.json")}, &stdout, &stderr); code != verdict.ExitInvalid {
		t.Errorf("missing record: exit %d, want 3", code)
	}
}

// TestUnwritableOutIsInvalid: an --out that cannot be made is exit 3
// before anything runs (it used to run and print a report path that was
// never written).
func TestUnwritableOutIsInvalid(t *testing.T) {
	file := write(t, "a-file", "x")
	sc := write(t, "s.yaml", "name: a\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n")
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--out", filepath.Join(file, "out"), sc}, &stdout, &stderr)
	if want := "poshil run: --out " + filepath.Join(file, "out") + ": "; code != verdict.ExitInvalid || !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("exit %d, stderr %q; want 3 and %q first", code, stderr.String(), want)
	}
	if stdout.Len() > 0 {
		t.Errorf("the run started: %s", stdout.String())
	}
}

// TestRunClearsItsOutputs: a run's folder holds its own outputs only: the
// last run's junit.xml, record, report and traces go before anything runs
// (here the bench file is bad, so this run writes nothing), other files
// stay.
func TestRunClearsItsOutputs(t *testing.T) {
	out := t.TempDir()
	stale := []string{"junit.xml", "record.json", "report.html", filepath.Join("pcap", "007-old.pcapng")}
	for _, f := range append(stale, "notes.txt") {
		p := filepath.Join(out, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("old run"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := write(t, "b.yaml", "name: b\ncolour: red\n")
	sc := write(t, "s.yaml", "name: a\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--bench", b, "--out", out, sc}, &stdout, &stderr); code != verdict.ExitInvalid {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s: the last run's file is still there", f)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "notes.txt")); err != nil {
		t.Errorf("a file poshil did not write was removed: %v", err)
	}
}

// TestRecordNamesTheRun: record.json says which bench, poshil and label
// filter made it.
func TestRecordNamesTheRun(t *testing.T) {
	out := t.TempDir()
	_, emulated := benches.Emulated()
	b := write(t, "b.yaml", strings.Replace(string(emulated), "command: [refterm,", "command: [no-such-terminal,", 1))
	sc := write(t, "s.yaml", "name: a\nlabels: [chip]\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--bench", b, "--out", out, "-l", "chip", sc}, &stdout, &stderr); code != verdict.ExitInvalid {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rec, err := report.ReadFile(filepath.Join(out, report.RecordFile))
	if err != nil || len(rec.Results) != 1 || rec.Run.Bench != "emulated" || rec.Run.LabelFilter != "chip" || rec.Run.Version != buildinfo.Read().Short() {
		t.Errorf("record header %+v, %d results: %v", rec.Run, len(rec.Results), err)
	}
}

// TestSummaryWhenReportsAreLost: reports that could not be written are
// BENCH_ERROR even when every scenario passed, and no report path is
// printed.
func TestSummaryWhenReportsAreLost(t *testing.T) {
	pass := []verdict.Result{{Scenario: "a", Class: verdict.Pass}}
	var out bytes.Buffer
	if code := summary(&out, "X", pass, true); code != 0 || !strings.Contains(out.String(), "report: X/report.html") {
		t.Errorf("written: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := summary(&out, "X", pass, false); code != verdict.ExitBenchError || strings.Contains(out.String(), "X/report.html") {
		t.Errorf("lost: exit %d, %q", code, out.String())
	}
	fail := []verdict.Result{{Scenario: "a", Class: verdict.Invalid}}
	if code := summary(io.Discard, "X", fail, false); code != verdict.ExitInvalid {
		t.Errorf("lost, INVALID: exit %d, want 3 kept", code)
	}
}
