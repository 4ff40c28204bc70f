package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/fixtures/terminal"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/junit"
	"github.com/poshil/poshil/harness/plan"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/shard"
	"github.com/poshil/poshil/harness/verdict"
)

func init() { register(newRunCmd) }

// runFlags are poshil run's options.
type runFlags struct {
	bench, filter, out, rerunFailed string
	inventory, shard, durations     string
	mutants                         []string
	verbose, untilFail              bool
	repeat                          int
	parallel                        int
	isolated                        bool // --parallel given: isolated benches, even one
	wait                            time.Duration
}

func newRunCmd(a *app) *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run [flags] [SCENARIO|DIR...]",
		Short: "Run scenarios on a bench and write the reports",
		Long: `Run scenarios (files, or every *.yaml under a folder; default: scenarios)
on a bench (default: the embedded emulated bench) and write junit.xml,
record.json, report.html and pcap/ under --out (the last run's outputs there
are removed first; other files are kept).

On a terminal a status line shows the running scenario, its step, its
elapsed time and the run's ETA (from the durations in the last record.json),
with colours unless NO_COLOR is set; elsewhere (CI logs, pipes) one plain
line per scenario as it ends. With -v each scenario's transcript streams
live.

Exit codes: 0 all passed, 1 a firmware FAIL, 2 a BENCH_ERROR, 3 INVALID input.`,
		Example: `  poshil run scenarios --out out -v --label-filter 'chip && !slow'
  poshil run --rerun-failed out/record.json
  poshil run --repeat 20 --until-fail scenarios/chip/approved-sale.yaml`,
	}
	fl := c.Flags()
	fl.StringVar(&f.bench, "bench", "", "bench file (default: the embedded emulated bench)")
	fl.StringVarP(&f.filter, "label-filter", "l", "", "run scenarios whose labels match (Ginkgo syntax: 'chip && !slow')")
	fl.StringVarP(&f.out, "out", "o", "out", "directory for junit.xml, record.json, report.html and pcap/")
	fl.StringArrayVar(&f.mutants, "mutant", nil, "start the reference terminal with this deliberate bug (repeatable)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "stream each scenario's transcript live")
	fl.IntVar(&f.repeat, "repeat", 1, "run the selection N times, N >= 1 (hunting flakes)")
	fl.BoolVar(&f.untilFail, "until-fail", false, "stop at the first scenario that does not PASS (with --repeat: at most N rounds; alone: 100)")
	fl.DurationVar(&f.wait, "wait", 0, "wait this long (>= 0) for a bench another run holds (default: BENCH_ERROR at once)")
	fl.StringVar(&f.rerunFailed, "rerun-failed", "", "run again the scenarios that did not PASS in this record.json")
	fl.StringVar(&f.shard, "shard", "", "run shard k of n (k/n, e.g. 2/3): every scenario runs in exactly one shard, balanced by the durations of --durations")
	fl.StringVar(&f.durations, "durations", "", "a record.json whose durations balance --shard (default: the last run's in --out)")
	_ = c.MarkFlagFilename("durations", "json")
	fl.StringVar(&f.inventory, "inventory", "", "run on the benches of this inventory file (- for the embedded one), each scenario on a bench that can run it")
	fl.IntVar(&f.parallel, "parallel", 1, "run on N isolated emulated benches at once, each its own pcscd, reader and ports (needs root; else the one bench)")
	_ = c.MarkFlagFilename("bench", "yaml", "yml")
	_ = c.MarkFlagDirname("out")
	_ = c.MarkFlagFilename("rerun-failed", "json")
	c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}
	_ = c.RegisterFlagCompletionFunc("mutant", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return terminal.MutantNames(), cobra.ShellCompDirectiveNoFileComp
	})
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := atLeast("repeat", f.repeat, 1); err != nil {
			return err
		}
		if err := atLeast("parallel", f.parallel, 1); err != nil {
			return err
		}
		f.isolated = cmd.Flags().Changed("parallel")
		if f.wait < 0 {
			return rangeError("wait", f.wait, "0 or more")
		}
		if f.untilFail && !cmd.Flags().Changed("repeat") {
			f.repeat = 100
		}
		return a.exit(cmdRun(a.ctx, f, args, a.stdout, a.stderr))
	}
	return c
}

func cmdRun(ctx context.Context, f runFlags, paths []string, stdout, stderr io.Writer) int {
	var only map[string]bool
	var err error
	if f.rerunFailed != "" {
		if len(paths) > 0 {
			fmt.Fprintln(stderr, "poshil run: --rerun-failed takes its scenarios from the record; give no SCENARIO")
			return verdict.ExitInvalid
		}
		paths, only, err = failedIn(f.rerunFailed)
		if err != nil {
			fmt.Fprintf(stderr, "poshil run: --rerun-failed: %v\n", err)
			return verdict.ExitInvalid
		}
		if len(paths) == 0 {
			fmt.Fprintf(stdout, "poshil: every scenario in %s passed; nothing to rerun\n", f.rerunFailed)
			return 0
		}
	}
	// The last run's durations, for the ETA, before its record goes.
	prevPath := filepath.Join(f.out, report.RecordFile)
	if f.rerunFailed != "" {
		prevPath = f.rerunFailed
	}
	var prev *report.Record
	if rec, err := report.ReadFile(prevPath); err == nil {
		prev = &rec
	}
	est := newEstimator(prev)
	// Before anything runs (the record of --rerun-failed is read: it
	// may be in --out): a folder that cannot take the reports is bad input.
	if err := prepareOut(f.out); err != nil {
		fmt.Fprintln(stderr, "poshil run:", err)
		return verdict.ExitInvalid
	}
	b, err := loadBench(f.bench)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if err := checkMutants(b, f.mutants); err != nil {
		fmt.Fprintln(stderr, "poshil:", err)
		return verdict.ExitInvalid
	}
	run := report.NewRun(b.Name, f.filter, f.mutants)
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
	scs, loadErr := scenario.LoadFiles(paths)
	var results []verdict.Result
	if loadErr != nil {
		fmt.Fprintln(stderr, loadErr)
		results = append(results, invalidResults(loadErr)...)
	}
	if only != nil {
		scs = slices.DeleteFunc(scs, func(sc *scenario.Scenario) bool { return !only[sc.Name] })
	}
	scs, err = scenario.Filter(scs, f.filter)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if f.shard != "" {
		sp, err := shard.Parse(f.shard)
		if err != nil {
			fmt.Fprintln(stderr, "poshil run: --shard:", err)
			return verdict.ExitInvalid
		}
		durs := prev
		if f.durations != "" {
			rec, err := report.ReadFile(f.durations)
			if err != nil {
				fmt.Fprintln(stderr, "poshil run: --durations:", err)
				return verdict.ExitInvalid
			}
			durs = &rec
		}
		scs = shardOf(scs, sp, durs)
		run.Shard = sp.String()
		fmt.Fprintf(stderr, "poshil: shard %s: %d scenario(s)\n", sp, len(scs))
		if len(scs) == 0 {
			writeReports(f.out, run, results, stderr)
			return verdict.ExitCode(results)
		}
	}
	if len(scs) == 0 {
		if loadErr == nil {
			fmt.Fprintf(stderr, "poshil: no scenario in %s matches --label-filter %q\n", strings.Join(paths, " "), f.filter)
		}
		writeReports(f.out, run, results, stderr)
		return verdict.ExitInvalid
	}
	if f.inventory != "" {
		if f.bench != "" {
			fmt.Fprintln(stderr, "poshil run: --bench and --inventory: give one (an inventory names its bench files)")
			return verdict.ExitInvalid
		}
		opts := runner.Options{DUTArgs: mutantArgs(f.mutants), Wait: f.wait, Notice: func(msg string) { fmt.Fprintln(stderr, msg) }}
		return runInventory(ctx, inventoryRun{file: f.inventory, filter: f.filter, outDir: f.out, mutants: f.mutants, opts: opts, prior: results}, scs, stdout, stderr)
	}
	if f.isolated {
		if code, ok := parallelFirst(ctx, f, b, run, scs, prev, results, est, stdout, stderr); ok {
			return code
		}
	}
	// A DUT program that does not exist is the bench file's mistake:
	// INVALID at its place, before the bench moves.
	if err := plan.CheckProgram(b, bench.LookupProgram); err != nil {
		fmt.Fprintln(stderr, err)
		for _, sc := range scs {
			results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.Invalid, Reason: err.Error(), Started: time.Now()})
		}
		writeReports(f.out, run, results, stderr)
		return verdict.ExitInvalid
	}
	dutArgs := mutantArgs(f.mutants)
	rounds := f.repeat
	total := rounds * len(scs)
	pr := newProgress(stdout, f.verbose, total, est)
	defer pr.close()
	errw := noticeWriter{pr, stderr}
	pr.println(fmt.Sprintf("poshil: bench %s, %d scenario(s)", b.Name, len(scs)))
	opts := runner.Options{DUTArgs: dutArgs, Wait: f.wait, Notice: func(msg string) { pr.notice(stderr, msg) }, Live: pr.line}
	rig, err := runner.Up(ctx, b, opts)
	if err != nil {
		pr.notice(stderr, fmt.Sprintf("poshil: BENCH_ERROR: bench %s not available: %v", b.Name, err))
		for _, sc := range scs {
			results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: err.Error(), Started: time.Now()})
		}
		writeReports(f.out, run, results, errw)
		return verdict.ExitBenchError
	}
	defer rig.Close()
	// order is every scenario of every round, for the ETA.
	var order []string
	for range rounds {
		for _, sc := range scs {
			order = append(order, sc.Name)
		}
	}
	i := 0
rounds:
	for round := 1; round <= rounds; round++ {
		for _, sc := range scs {
			i++
			if ctx.Err() != nil {
				results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: "not run: aborted", Started: time.Now()})
				continue
			}
			pr.start(sc.Name, order[i:])
			r := rig.Run(ctx, sc)
			if rounds > 1 {
				r.Scenario = fmt.Sprintf("%s #%d", r.Scenario, round)
			}
			results = append(results, r)
			// On disk before the next scenario starts: a second Ctrl-C or
			// a kill -9 loses at most the scenario in flight.
			writeProgress(f.out, run, results, errw)
			pr.finish(r)
			if f.untilFail && r.Class != verdict.Pass {
				pr.println(fmt.Sprintf("poshil: stopped at the first %s (round %d)", r.Class, round))
				break rounds
			}
		}
	}
	pr.close()
	return summary(stdout, f.out, results, writeReports(f.out, run, results, stderr))
}

// summary prints the run's last line and returns its exit code. Reports
// that could not be written make it BENCH_ERROR (2) at least: the
// verdicts were printed, but the run's evidence is lost, and the line does
// not name a report that is not there.
func summary(stdout io.Writer, out string, results []verdict.Result, written bool) int {
	c := verdict.Counts(results)
	where := "report: " + filepath.Join(out, report.HTMLFile)
	if !written {
		where = "reports NOT written (see above)"
	}
	fmt.Fprintf(stdout, "poshil: %d passed, %d failed, %d bench errors, %d invalid; %s\n",
		c[verdict.Pass], c[verdict.Fail], c[verdict.BenchError], c[verdict.Invalid], where)
	code := verdict.ExitCode(results)
	if !written && code < verdict.ExitBenchError {
		code = verdict.ExitBenchError
	}
	return code
}

func loadBench(file string) (*bench.Bench, error) {
	if file == "" {
		return bench.Default()
	}
	return bench.Load(file)
}

// invalidResults records files that did not load as INVALID results, so a
// report shows them next to the scenarios that ran.
func invalidResults(err error) []verdict.Result {
	var out []verdict.Result
	for _, line := range strings.Split(err.Error(), "\n") {
		file, _, _ := strings.Cut(line, ":")
		out = append(out, verdict.Result{Scenario: file, File: file, Class: verdict.Invalid, Reason: line, Started: time.Now()})
	}
	return out
}

// writeReports writes junit.xml, record.json (the source of every other
// report), report.html and the pcapng traces; a failure to write is
// reported (false) but never hides the verdicts already printed.
func writeReports(dir string, run report.Run, rs []verdict.Result, stderr io.Writer) bool {
	ok := true
	if err := junit.WriteFile(filepath.Join(dir, junit.FileName), "poshil", rs); err != nil {
		fmt.Fprintf(stderr, "poshil: writing junit: %v\n", err)
		ok = false
	}
	run.Finished = time.Now()
	rec := report.Record{Run: run, Results: rs}
	if err := report.WriteAll(dir, &rec); err != nil {
		fmt.Fprintf(stderr, "poshil: writing reports: %v\n", err)
		ok = false
	}
	return ok
}

// writeProgress rewrites junit.xml and record.json (each atomically) with
// the results so far; the HTML report and the traces wait for the end.
func writeProgress(dir string, run report.Run, rs []verdict.Result, stderr io.Writer) {
	if err := progressJUnit.Write(filepath.Join(dir, junit.FileName), "poshil", rs); err != nil {
		fmt.Fprintf(stderr, "poshil: writing junit: %v\n", err)
	}
	if err := progressRecord.Write(filepath.Join(dir, report.RecordFile), run, rs); err != nil {
		fmt.Fprintf(stderr, "poshil: writing record: %v\n", err)
	}
}

// progressRecord and progressJUnit encode each result once, however
// often writeProgress rewrites the files; neither syncs them to disk (they
// are for a poshil stopped or killed mid-run: writeReports's final files
// are synced).
var (
	progressRecord report.Progress
	progressJUnit  junit.Progress
)

// noticeWriter writes to w through the progress display, so messages
// never land in the middle of its status line.
type noticeWriter struct {
	p *progress
	w io.Writer
}

func (n noticeWriter) Write(b []byte) (int, error) {
	n.p.notice(n.w, strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// failedIn reads a run record and returns the files of the scenarios that
// did not PASS and their names (a --repeat round's " #N" taken off).
func failedIn(path string) (files []string, names map[string]bool, err error) {
	rec, err := report.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	names = map[string]bool{}
	for _, r := range rec.Results {
		if r.Class == verdict.Pass || r.File == "" {
			continue
		}
		names[baseName(r.Scenario)] = true
		if !slices.Contains(files, r.File) {
			files = append(files, r.File)
		}
	}
	return files, names, nil
}

// shardOf is shard sp of scs, balanced by the durations in rec (if any).
func shardOf(scs []*scenario.Scenario, sp shard.Spec, rec *report.Record) []*scenario.Scenario {
	durs := map[string]time.Duration{}
	if rec != nil {
		for _, r := range rec.Results {
			durs[r.File+"\x00"+r.Scenario] = r.Duration
		}
	}
	items := make([]shard.Item, len(scs))
	for i, sc := range scs {
		key := sc.File + "\x00" + sc.Name
		items[i] = shard.Item{Key: key, Dur: durs[key]}
	}
	var out []*scenario.Scenario
	for _, i := range shard.Select(items, sp) {
		out = append(out, scs[i])
	}
	return out
}
