package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/inventory"
	"github.com/poshil/poshil/harness/plan"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// loadInventory reads an inventory file, or the embedded one for "-".
func loadInventory(file string) (*inventory.Inventory, error) {
	if file == "-" || file == "default" {
		return inventory.Default()
	}
	return inventory.Load(file)
}

// unrunnable prints, before anything runs, each scenario no bench of the
// inventory can run, with its reason, and records it as INVALID at the
// place in the scenario that asks for what no bench has.
func unrunnable(p inventory.Plan, stderr io.Writer) []verdict.Result {
	var out []verdict.Result
	for _, u := range p.Unrunnable {
		fmt.Fprintf(stderr, "poshil: cannot run: %v\n", u)
		sc := u.Scenario
		out = append(out, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.Invalid, Reason: u.Error(), Started: time.Now()})
	}
	return out
}

// inventoryRun is what `poshil run --inventory` passes on from its flags.
type inventoryRun struct {
	file, filter, outDir string
	mutants              []string
	opts                 runner.Options
	pr                   *progress
	prior                []verdict.Result // files that did not load
}

// runInventory runs scs on the benches of an inventory: each scenario on
// one bench that can run it (inventory.Match), bench after bench, each
// bench brought up (and leased) for its share only. Scenarios no bench
// can run are INVALID, reported before the first bench moves.
func runInventory(ctx context.Context, ir inventoryRun, scs []*scenario.Scenario, stdout, stderr io.Writer) int {
	inv, err := loadInventory(ir.file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	run := report.NewRun("inventory "+inv.File, ir.filter, ir.mutants)
	p := inv.Match(scs)
	results := append(ir.prior, unrunnable(p, stderr)...)
	if code, ok := embeddedInParallel(ctx, ir, inv, p, run, results, stdout, stderr); ok {
		return code
	}
	p, out := inRotation(ctx, inv, p, stderr)
	results = append(results, out...)
	for _, a := range p.Benches {
		if err := plan.CheckProgram(a.Bench.Desc, bench.LookupProgram); err != nil {
			fmt.Fprintln(stderr, err)
			for _, sc := range a.Scenarios {
				results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.Invalid, Reason: err.Error(), Started: time.Now()})
			}
			a.Scenarios = nil
		}
	}
	total := 0
	for _, a := range p.Benches {
		total += len(a.Scenarios)
	}
	fmt.Fprintf(stdout, "poshil: inventory %s, %d bench(es) in use, %d scenario(s), %d cannot run\n", inv.File, len(p.Benches), total, len(p.Unrunnable))
	ir.pr = newProgress(stdout, false, total, newEstimator(nil))
	defer ir.pr.close()
	for _, a := range p.Benches {
		if len(a.Scenarios) == 0 {
			continue
		}
		results = append(results, runShare(ctx, a, ir, stdout, stderr, func(r verdict.Result) {
			results = append(results, r)
			writeProgress(ir.outDir, run, results, stderr)
			ir.pr.finish(r)
		})...)
	}
	writeReports(ir.outDir, run, results, stderr)
	c := verdict.Counts(results)
	fmt.Fprintf(stdout, "poshil: %d passed, %d failed, %d bench errors, %d invalid; report: %s\n",
		c[verdict.Pass], c[verdict.Fail], c[verdict.BenchError], c[verdict.Invalid], filepath.Join(ir.outDir, report.HTMLFile))
	return verdict.ExitCode(results)
}

// healthBound bounds one bench's health check.
const healthBound = 5 * time.Second

// inRotation checks each bench of plan p before anything runs
// (runner.Health: pcscd lists its reader, its serial devices exist, its
// remote ports accept a connection) and takes a bench that fails out of
// rotation, saying why: its scenarios go to the healthy benches that can
// run them, and those none of them can run are BENCH_ERROR with the
// benches' reasons (the rig's trouble, not bad input: the inventory has
// a bench for them).
func inRotation(ctx context.Context, inv *inventory.Inventory, p inventory.Plan, stderr io.Writer) (inventory.Plan, []verdict.Result) {
	healthy := &inventory.Inventory{File: inv.File}
	var reasons []string
	for _, b := range inv.Benches {
		hctx, cancel := context.WithTimeout(ctx, healthBound)
		err := runner.Health(hctx, b.Desc)
		cancel()
		if err != nil {
			reason := fmt.Sprintf("bench %s out of rotation: %v", b.Name, err)
			fmt.Fprintf(stderr, "poshil: %s\n", reason)
			reasons = append(reasons, reason)
			continue
		}
		healthy.Benches = append(healthy.Benches, b)
	}
	if len(reasons) == 0 {
		return p, nil
	}
	var scs []*scenario.Scenario
	for _, a := range p.Benches {
		scs = append(scs, a.Scenarios...)
	}
	q := healthy.Match(scs)
	var out []verdict.Result
	for _, u := range q.Unrunnable {
		sc := u.Scenario
		why := "no bench in rotation can run it: " + strings.Join(reasons, "; ")
		fmt.Fprintf(stderr, "poshil: BENCH_ERROR: %s: %s\n", sc.Name, why)
		out = append(out, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: why, Started: time.Now()})
	}
	return inventory.Plan{Benches: q.Benches, Unrunnable: p.Unrunnable}, out
}

// runShare brings up one bench and runs its scenarios, reporting each
// through each (which keeps it); it returns only the results of scenarios
// that never ran (bench not available, run aborted).
func runShare(ctx context.Context, a inventory.Assignment, ir inventoryRun, stdout, stderr io.Writer, each func(verdict.Result)) []verdict.Result {
	var missed []verdict.Result
	notRun := func(sc *scenario.Scenario, why string) {
		missed = append(missed, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: why, Started: time.Now()})
	}
	if ctx.Err() != nil {
		for _, sc := range a.Scenarios {
			notRun(sc, "not run: aborted")
		}
		return missed
	}
	fmt.Fprintf(stdout, "poshil: bench %s (%s), %d scenario(s)\n", a.Bench.Name, a.Bench.Desc.Name, len(a.Scenarios))
	rig, err := runner.Up(ctx, a.Bench.Desc, ir.opts)
	if err != nil {
		fmt.Fprintf(stderr, "poshil: BENCH_ERROR: bench %s not available: %v\n", a.Bench.Name, err)
		for _, sc := range a.Scenarios {
			notRun(sc, fmt.Sprintf("bench %s: %v", a.Bench.Name, err))
		}
		return missed
	}
	defer rig.Close()
	for _, sc := range a.Scenarios {
		if ctx.Err() != nil {
			notRun(sc, "not run: aborted")
			continue
		}
		ir.pr.start(sc.Name, nil)
		each(rig.Run(ctx, sc))
	}
	return missed
}

// mutantArgs are the DUT arguments that start the reference terminal
// with the named mutants.
func mutantArgs(mutants []string) []string {
	var args []string
	for _, m := range mutants {
		args = append(args, "--mutant", m)
	}
	return args
}

// listInventory prints the plan of an inventory: each bench with the
// scenarios it would run, then every scenario no bench can run, with why
// (exit 3 when there is one: a run would record it INVALID).
func listInventory(file string, scs []*scenario.Scenario, stdout, stderr io.Writer) int {
	inv, err := loadInventory(file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	p := inv.Match(scs)
	for _, a := range p.Benches {
		fmt.Fprintf(stdout, "%s (%s; has %v; firmware %s):\n", a.Bench.Name, a.Bench.Desc.Name, a.Bench.Caps, a.Bench.Firmware)
		for _, sc := range a.Scenarios {
			fmt.Fprintf(stdout, "  %-52s %s\n", sc.File, sc.Name)
		}
	}
	for _, u := range p.Unrunnable {
		fmt.Fprintf(stdout, "cannot run: %v\n", u)
	}
	fmt.Fprintf(stdout, "%d scenario(s) on %d bench(es) of %s, %d cannot run\n", len(scs)-len(p.Unrunnable), len(p.Benches), inv.File, len(p.Unrunnable))
	if len(p.Unrunnable) > 0 {
		return verdict.ExitInvalid
	}
	return 0
}
