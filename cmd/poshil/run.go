package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/junit"
	"github.com/poshil/poshil/harness/plan"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("poshil run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	benchFile := fs.String("bench", "", "bench file (default: the embedded emulated bench)")
	filter := fs.String("label-filter", "", "run scenarios whose labels match (Ginkgo syntax: 'chip && !slow')")
	outDir := fs.String("out", "out", "directory for junit.xml and record.json")
	var mutants stringList
	fs.Var(&mutants, "mutant", "start the reference terminal with this deliberate bug (repeatable)")
	verbose := fs.Bool("verbose", false, "stream each scenario's transcript live")
	repeat := fs.Int("repeat", 1, "run the selection N times (hunting flakes)")
	untilFail := fs.Bool("until-fail", false, "stop at the first scenario that does not PASS (with --repeat: at most N rounds; alone: 100)")
	wait := fs.Duration("wait", 0, "wait this long for a bench another run holds (default: BENCH_ERROR at once)")
	invFile := fs.String("inventory", "", "run on the benches of this inventory file (- for the embedded one), each scenario on a bench that can run it")
	if err := fs.Parse(args); err != nil {
		return verdict.ExitInvalid
	}
	b, err := loadBench(*benchFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if err := checkMutants(b, mutants); err != nil {
		fmt.Fprintln(stderr, "poshil:", err)
		return verdict.ExitInvalid
	}
	run := report.NewRun(b.Name, *filter)
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
	scs, loadErr := scenario.LoadFiles(paths)
	var results []verdict.Result
	if loadErr != nil {
		fmt.Fprintln(stderr, loadErr)
		results = append(results, invalidResults(loadErr)...)
	}
	scs, err = scenario.Filter(scs, *filter)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if len(scs) == 0 {
		if loadErr == nil {
			fmt.Fprintf(stderr, "poshil: no scenario in %s matches --label-filter %q\n", strings.Join(paths, " "), *filter)
		}
		writeReports(*outDir, run, results, stderr)
		return verdict.ExitInvalid
	}
	if *invFile != "" {
		if *benchFile != "" {
			fmt.Fprintln(stderr, "poshil: --bench and --inventory: give one (an inventory names its bench files)")
			return verdict.ExitInvalid
		}
		opts := runner.Options{DUTArgs: mutantArgs(mutants), Wait: *wait, Notice: func(msg string) { fmt.Fprintln(stderr, msg) }}
		return runInventory(ctx, inventoryRun{file: *invFile, filter: *filter, outDir: *outDir, opts: opts, prior: results}, scs, stdout, stderr)
	}
	// A DUT program that does not exist is the bench file's mistake:
	// INVALID at its place, before the bench moves.
	if err := plan.CheckProgram(b, bench.LookupProgram); err != nil {
		fmt.Fprintln(stderr, err)
		for _, sc := range scs {
			results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.Invalid, Reason: err.Error(), Started: time.Now()})
		}
		writeReports(*outDir, run, results, stderr)
		return verdict.ExitInvalid
	}
	var dutArgs []string
	for _, m := range mutants {
		dutArgs = append(dutArgs, "--mutant", m)
	}
	fmt.Fprintf(stdout, "poshil: bench %s, %d scenario(s)\n", b.Name, len(scs))
	opts := runner.Options{DUTArgs: dutArgs, Wait: *wait, Notice: func(msg string) { fmt.Fprintln(stderr, msg) }}
	if *verbose {
		opts.Live = func(name string, l verdict.Line) {
			fmt.Fprintf(stdout, "    %9.3fms %-6s %s\n", float64(l.At.Microseconds())/1000, l.Source, l.Text)
		}
	}
	rounds := max(*repeat, 1)
	if *untilFail && *repeat <= 1 {
		rounds = 100
	}
	rig, err := runner.Up(ctx, b, opts)
	if err != nil {
		fmt.Fprintf(stderr, "poshil: BENCH_ERROR: bench %s not available: %v\n", b.Name, err)
		for _, sc := range scs {
			results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: err.Error(), Started: time.Now()})
		}
		writeReports(*outDir, run, results, stderr)
		return verdict.ExitBenchError
	}
	defer rig.Close()
	total := rounds * len(scs)
	done := 0
	var spent time.Duration
rounds:
	for round := 1; round <= rounds; round++ {
		for _, sc := range scs {
			if ctx.Err() != nil {
				results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: "not run: aborted", Started: time.Now()})
				continue
			}
			r := rig.Run(ctx, sc)
			if rounds > 1 {
				r.Scenario = fmt.Sprintf("%s #%d", r.Scenario, round)
			}
			results = append(results, r)
			// On disk before the next scenario starts: a second Ctrl-C or
			// a kill -9 loses at most the scenario in flight.
			writeProgress(*outDir, run, results, stderr)
			done++
			spent += r.Duration
			fmt.Fprintln(stdout, progressLine(done, total, spent, r))
			if *untilFail && r.Class != verdict.Pass {
				fmt.Fprintf(stdout, "poshil: stopped at the first %s (round %d)\n", r.Class, round)
				break rounds
			}
		}
	}
	writeReports(*outDir, run, results, stderr)
	c := verdict.Counts(results)
	fmt.Fprintf(stdout, "poshil: %d passed, %d failed, %d bench errors, %d invalid; report: %s\n",
		c[verdict.Pass], c[verdict.Fail], c[verdict.BenchError], c[verdict.Invalid], filepath.Join(*outDir, report.HTMLFile))
	return verdict.ExitCode(results)
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
// reported but never hides the verdicts already printed.
func writeReports(dir string, run report.Run, rs []verdict.Result, stderr io.Writer) {
	if err := junit.WriteFile(filepath.Join(dir, "junit.xml"), "poshil", rs); err != nil {
		fmt.Fprintf(stderr, "poshil: writing junit: %v\n", err)
	}
	run.Finished = time.Now()
	rec := report.Record{Run: run, Results: rs}
	if err := report.WriteAll(dir, &rec); err != nil {
		fmt.Fprintf(stderr, "poshil: writing reports: %v\n", err)
	}
}

// writeProgress rewrites junit.xml and record.json (each atomically) with
// the results so far; the HTML report and the traces wait for the end.
func writeProgress(dir string, run report.Run, rs []verdict.Result, stderr io.Writer) {
	if err := junit.WriteFile(filepath.Join(dir, "junit.xml"), "poshil", rs); err != nil {
		fmt.Fprintf(stderr, "poshil: writing junit: %v\n", err)
	}
	if err := report.WriteFile(filepath.Join(dir, report.RecordFile), report.Record{Run: run, Results: rs}); err != nil {
		fmt.Fprintf(stderr, "poshil: writing record: %v\n", err)
	}
}

// progressLine is one live line per scenario: position, ETA from the mean
// duration so far, verdict, name, and the reason when it did not pass.
func progressLine(done, total int, spent time.Duration, r verdict.Result) string {
	eta := time.Duration(0)
	if done > 0 {
		eta = spent / time.Duration(done) * time.Duration(total-done)
	}
	line := fmt.Sprintf("[%d/%d eta %s] %-11s %s (%v)", done, total, eta.Round(time.Second), r.Class, r.Scenario, r.Duration.Round(time.Millisecond))
	if r.Class != verdict.Pass {
		line += "\n        " + strings.ReplaceAll(r.Reason, "\n", "\n        ")
	}
	return line
}
