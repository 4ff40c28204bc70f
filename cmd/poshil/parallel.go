package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/inventory"
	"github.com/poshil/poshil/harness/isolated"
	"github.com/poshil/poshil/harness/plan"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// poshil run --parallel N: N isolated emulated benches (package isolated),
// each with a worker process of its own (libpcsclite talks to one pcscd
// per process: the worker's is its bench's, through PCSCLITE_CSOCK_NAME).
// The parent hands scenarios out one at a time (jobQueue: by the last
// record's durations when there is one), and keeps the results in the
// order a serial run has them; each result arrives scrubbed, evidence and
// all, as the worker's rig made it.

func init() { register(newBenchWorkerCmd) }

// job is one scenario of a parallel run, as the parent sends it.
type job struct {
	Index int    `json:"index"`
	File  string `json:"file"`
	Name  string `json:"name"`
}

// jobResult is a worker's answer to a job: its result, or before it
// (with --verbose) one live transcript line of it.
type jobResult struct {
	Index  int             `json:"index"`
	Result *verdict.Result `json:"result,omitempty"`
	Live   *verdict.Line   `json:"live,omitempty"`
}

// workerWait bounds how long a worker waits for its bench's parts that
// a killed run's worker still holds (it has them back in their safe state
// within runner's cleanup bound).
const workerWait = 30 * time.Second

// workerCmd is the hidden command the parent starts per bench.
const workerCmd = "worker"

func newBenchWorkerCmd(a *app) *cobra.Command {
	var k int
	var verbose bool
	var mutants []string
	c := &cobra.Command{
		Use:    workerCmd,
		Short:  "Run scenarios sent on stdin on isolated bench K (poshil run --parallel's worker)",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	c.Flags().IntVar(&k, "bench-number", 0, "the isolated bench (1..16)")
	c.Flags().StringArrayVar(&mutants, "mutant", nil, "reference-terminal mutant")
	c.Flags().BoolVar(&verbose, "verbose", false, "send each scenario's transcript lines as they come")
	c.RunE = func(*cobra.Command, []string) error {
		if k < 1 || k > isolated.Max {
			return rangeError("bench-number", k, fmt.Sprintf("1..%d", isolated.Max))
		}
		// A parent killed with SIGKILL closes the worker's pipes: writing
		// to them must fail (EPIPE), not end the worker by SIGPIPE before
		// it returns its bench to its safe state and releases it; nor
		// may the signals of the parent's death (see finishOnSignal).
		signal.Ignore(syscall.SIGPIPE)
		finishOnSignal.Store(true)
		return a.exit(benchWorker(a.ctx, k, mutants, verbose, os.Stdin, a.stdout, a.stderr))
	}
	return c
}

// benchWorker runs each job read from in on isolated bench k and writes
// its scrubbed result to out, one JSON document per job; with verbose,
// each transcript line (masked as the evidence is) before it.
func benchWorker(ctx context.Context, k int, mutants []string, verbose bool, in io.Reader, out, stderr io.Writer) int {
	desc, err := isolated.Desc(k)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	var encMu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(r jobResult) error {
		encMu.Lock()
		defer encMu.Unlock()
		return enc.Encode(r)
	}
	var current atomic.Int64 // the job running, for its live lines
	opts := runner.Options{DUTArgs: mutantArgs(mutants), Wait: workerWait,
		Notice: func(msg string) { fmt.Fprintln(stderr, msg) }}
	if verbose {
		opts.Live = func(_ string, l verdict.Line) { _ = send(jobResult{Index: int(current.Load()), Live: &l}) }
	}
	// The bench is this run's (its lease is the parent's); a worker of a
	// run killed a moment ago may still be returning its parts to their
	// safe state: wait for it rather than fail.
	rig, upErr := runner.Up(ctx, desc, opts)
	if upErr == nil {
		defer rig.Close()
	}
	loaded := map[string][]*scenario.Scenario{}
	loadErr := map[string]error{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		var j job
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			fmt.Fprintf(stderr, "poshil %s: bad job: %v\n", workerCmd, err)
			return verdict.ExitInvalid
		}
		current.Store(int64(j.Index))
		res := verdict.Result{Scenario: j.Name, File: j.File, Started: time.Now()}
		if _, ok := loaded[j.File]; !ok {
			loaded[j.File], loadErr[j.File] = scenario.LoadFiles([]string{j.File})
		}
		i := slices.IndexFunc(loaded[j.File], func(s *scenario.Scenario) bool { return s.Name == j.Name })
		switch {
		case i < 0:
			res.Class, res.Reason = verdict.Invalid, fmt.Sprintf("%s: no scenario %q", j.File, j.Name)
			if err := loadErr[j.File]; err != nil {
				res.Reason += ": " + err.Error()
			}
		case ctx.Err() != nil: // before the rig's error: a rig stopped coming up by a signal
			res.Labels = loaded[j.File][i].Labels
			res.Class, res.Reason = verdict.BenchError, "not run: aborted"
		case upErr != nil:
			s := loaded[j.File][i]
			res.Labels = s.Labels
			res.Class, res.Reason = verdict.BenchError, fmt.Sprintf("bench %s: %v", desc.Name, upErr)
		default:
			res = rig.Run(ctx, loaded[j.File][i])
		}
		rec := report.Record{Results: []verdict.Result{res}}
		report.Scrub(&rec)
		if err := send(jobResult{Index: j.Index, Result: &rec.Results[0]}); err != nil {
			return verdict.ExitBenchError
		}
	}
	return 0
}

// worker is a running bench-worker process, seen from the parent.
type worker struct {
	bench *isolated.Bench
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *json.Decoder
}

// isolatedSupported says whether isolated benches run here (tests
// pretend they do not).
var isolatedSupported = isolated.Supported

// workerExe is the poshil binary the workers run (tests set it: their
// own executable is the test binary).
var workerExe = os.Executable

// startWorker starts the worker process of bench b.
func startWorker(b *isolated.Bench, mutants []string, verbose bool, stderr io.Writer) (*worker, error) {
	exe, err := workerExe()
	if err != nil {
		return nil, err
	}
	args := []string{workerCmd, "--bench-number", strconv.Itoa(b.K)}
	if verbose {
		args = append(args, "--verbose")
	}
	for _, m := range mutants {
		args = append(args, "--mutant", m)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), b.Env()...)
	// A worker never outlives its parent, even after kill -9: it gets
	// SIGTERM and returns its bench to its safe state.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Stderr = &linePrefix{prefix: b.Name() + ": ", w: stderr}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &worker{bench: b, cmd: cmd, in: in, out: json.NewDecoder(bufio.NewReaderSize(out, 1<<16))}, nil
}

// do runs one job on the worker; live sees the job's transcript lines
// the worker sends before its result.
func (w *worker) do(j job, live func(verdict.Line)) (verdict.Result, error) {
	data, err := json.Marshal(j)
	if err != nil {
		return verdict.Result{}, err
	}
	if _, err := w.in.Write(append(data, '\n')); err != nil {
		return verdict.Result{}, fmt.Errorf("bench %s: worker: %w", w.bench.Name(), err)
	}
	for {
		var r jobResult
		if err := w.out.Decode(&r); err != nil {
			return verdict.Result{}, fmt.Errorf("bench %s: worker: %w", w.bench.Name(), err)
		}
		if r.Index != j.Index {
			return verdict.Result{}, fmt.Errorf("bench %s: worker answered job %d for %d", w.bench.Name(), r.Index, j.Index)
		}
		switch {
		case r.Live != nil:
			live(*r.Live)
		case r.Result != nil:
			return *r.Result, nil
		default:
			return verdict.Result{}, fmt.Errorf("bench %s: worker answered job %d with nothing", w.bench.Name(), j.Index)
		}
	}
}

// stop ends the worker: its stdin closed, it closes its rig and exits;
// one that does not within 30 s is killed.
func (w *worker) stop() {
	_ = w.in.Close()
	done := make(chan struct{})
	go func() { _ = w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-done
	}
}

// parallelRun is what runParallel needs from cmdRun.
type parallelRun struct {
	n       int
	mutants []string
	rounds  int
	out     string
	run     report.Run
	prev    *report.Record
	prior   []verdict.Result
	pr      *progress
	verbose bool
}

// runParallel runs scs (rounds times) on n isolated benches at once. ok
// is false when isolated benches cannot run here: the caller runs them
// serially on the one bench (after the notice printed here).
func runParallel(ctx context.Context, p parallelRun, scs []*scenario.Scenario, stdout, stderr io.Writer) (code int, ok bool) {
	if err := isolatedSupported(); err != nil {
		p.pr.notice(stderr, fmt.Sprintf("poshil: --parallel %d: %v: one bench, scenarios one after another", p.n, err))
		return 0, false
	}
	errw := noticeWriter{p.pr, stderr}
	results := slices.Clone(p.prior)
	var jobs []job
	var order []*scenario.Scenario
	for round := 1; round <= p.rounds; round++ {
		for _, sc := range scs {
			jobs = append(jobs, job{Index: len(order), File: sc.File, Name: sc.Name})
			order = append(order, sc)
		}
	}
	n := min(p.n, len(jobs))
	benches, err := isolated.StartFree(ctx, n)
	if err != nil {
		p.pr.notice(stderr, fmt.Sprintf("poshil: BENCH_ERROR: --parallel %d: %v", p.n, err))
		for _, sc := range order {
			results = append(results, verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: err.Error(), Started: time.Now()})
		}
		return summary(stdout, p.out, results, writeReports(p.out, p.run, results, stderr)), true
	}
	defer isolated.StopAll(benches)
	var names []string
	for _, b := range benches {
		names = append(names, b.Name())
	}
	p.run.Bench = fmt.Sprintf("%d isolated emulated benches (%s)", len(benches), strings.Join(names, ", "))
	p.pr.println(fmt.Sprintf("poshil: %d isolated emulated benches (%s driver), %d scenario(s)", len(benches), isolated.Driver(), len(scs)))
	for _, b := range benches {
		if msg := b.Restored(); msg != "" {
			p.pr.notice(stderr, "poshil: "+msg)
		}
	}

	queue := newJobQueue(jobs, p.prev)
	next := func(k int) (job, bool) {
		if ctx.Err() != nil {
			return job{}, false
		}
		return queue.take(k)
	}
	type done struct {
		i int
		r verdict.Result
	}
	// Buffered for every job: a worker hands its result over and takes
	// its next job at once, never waiting on the parent's progress files.
	got := make(chan done, len(order))
	var wg sync.WaitGroup
	var workers []*worker
	for k, b := range benches {
		w, err := startWorker(b, p.mutants, p.verbose, errw)
		if err != nil {
			p.pr.notice(stderr, fmt.Sprintf("poshil: bench %s: worker: %v", b.Name(), err))
			continue
		}
		workers = append(workers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.stop()
			for {
				j, ok := next(k)
				if !ok {
					return
				}
				p.pr.start(j.Name, nil)
				r, err := w.do(j, func(l verdict.Line) { p.pr.benchLine(w.bench.Name(), l) })
				if err != nil {
					sc := order[j.Index]
					r = verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: err.Error(), Started: time.Now()}
					got <- done{j.Index, r}
					return // this worker is gone; the others take the rest
				}
				got <- done{j.Index, r}
			}
		}()
	}
	// A signal stops the scenarios in flight on every bench: each worker
	// returns its bench to its safe state and answers.
	stopSignals := context.AfterFunc(ctx, func() {
		for _, w := range workers {
			_ = w.cmd.Process.Signal(syscall.SIGTERM)
		}
	})
	defer stopSignals()
	go func() { wg.Wait(); close(got) }()
	byIndex := make([]*verdict.Result, len(order))
	for d := range got {
		// Every result that has arrived goes into one progress write.
		batch := []done{d}
	drain:
		for {
			select {
			case d, ok := <-got:
				if !ok {
					break drain
				}
				batch = append(batch, d)
			default:
				break drain
			}
		}
		for i := range batch {
			if p.rounds > 1 {
				batch[i].r.Scenario = fmt.Sprintf("%s #%d", batch[i].r.Scenario, batch[i].i/len(scs)+1)
			}
			byIndex[batch[i].i] = &batch[i].r
		}
		writeProgress(p.out, p.run, append(slices.Clone(results), collected(byIndex)...), errw)
		for _, d := range batch {
			p.pr.finish(d.r)
		}
	}
	for i, r := range byIndex {
		if r == nil {
			sc := order[i]
			why := "not run: no bench worker left"
			if ctx.Err() != nil {
				why = "not run: aborted"
			}
			byIndex[i] = &verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Class: verdict.BenchError, Reason: why, Started: time.Now()}
		}
	}
	results = append(results, collected(byIndex)...)
	p.pr.close()
	return summary(stdout, p.out, results, writeReports(p.out, p.run, results, stderr)), true
}

// collected is the results that have arrived, in the serial run's order.
func collected(rs []*verdict.Result) []verdict.Result {
	var out []verdict.Result
	for _, r := range rs {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out
}

// parallelFirst runs cmdRun's selection with --parallel N > 1 when it
// can; ok false: run it serially (isolated benches not available here).
func parallelFirst(ctx context.Context, f runFlags, b *bench.Bench, run report.Run, scs []*scenario.Scenario, prev *report.Record, prior []verdict.Result, est *estimator, stdout, stderr io.Writer) (int, bool) {
	if f.bench != "" || f.inventory != "" || f.untilFail {
		fmt.Fprintln(stderr, "poshil run: --parallel runs the embedded bench on isolated emulated benches: give no --bench, --inventory or --until-fail")
		return verdict.ExitInvalid, true
	}
	if err := plan.CheckProgram(b, bench.LookupProgram); err != nil {
		return 0, false // the serial path reports it, at its place
	}
	pr := newProgress(stdout, f.verbose, f.repeat*len(scs), est)
	defer pr.close()
	return runParallel(ctx, parallelRun{n: f.parallel, mutants: f.mutants, rounds: f.repeat, out: f.out,
		run: run, prev: prev, prior: prior, pr: pr, verbose: f.verbose}, scs, stdout, stderr)
}

// embeddedInParallel runs the embedded inventory's share of a plan on
// that many isolated benches at once (its benches are all the embedded
// emulated bench). ok false: not the embedded inventory, or isolated
// benches cannot run here (then its benches are one shared bench, run
// one after another, and it says so).
func embeddedInParallel(ctx context.Context, ir inventoryRun, inv *inventory.Inventory, p inventory.Plan, run report.Run, prior []verdict.Result, stdout, stderr io.Writer) (int, bool) {
	if ir.file != "-" && ir.file != "default" {
		return 0, false
	}
	if err := isolatedSupported(); err != nil {
		fmt.Fprintf(stderr, "poshil: %v: the embedded inventory's %d benches share one bench, one scenario at a time\n", err, len(inv.Benches))
		return 0, false
	}
	var scs []*scenario.Scenario
	for _, a := range p.Benches {
		scs = append(scs, a.Scenarios...)
	}
	if len(scs) == 0 {
		return 0, false
	}
	pr := newProgress(stdout, false, len(scs), newEstimator(nil))
	defer pr.close()
	return runParallel(ctx, parallelRun{n: len(inv.Benches), mutants: ir.mutants, rounds: 1, out: ir.outDir,
		run: run, prior: prior, pr: pr}, scs, stdout, stderr)
}

// linePrefix writes each whole line to w with prefix before it (a
// worker's notices, named by their bench); a last partial line waits for
// its end.
type linePrefix struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	buf    []byte
}

func (l *linePrefix) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(l.w, "%s%s\n", l.prefix, l.buf[:i]); err != nil {
			return len(b), err
		}
		l.buf = l.buf[i+1:]
	}
	return len(b), nil
}

// jobQueue hands a parallel run's jobs to its workers. With a previous
// record, the jobs are sorted longest first by their recorded durations
// (unknown ones count as long) and taken from both ends: even workers
// take the longest left, odd workers the shortest. The long scenarios
// mostly wait (on a timeout, a stall, a slow line) while the short ones
// are mostly CPU: the two kinds share the cores instead of short ones
// running side by side at the end, and the run still ends when its
// longest chain does. Without a record, every worker takes the next one
// in the serial run's order.
type jobQueue struct {
	mu       sync.Mutex
	jobs     []job
	twoEnded bool
}

// newJobQueue orders jobs by prev's durations (nil: as given).
func newJobQueue(jobs []job, prev *report.Record) *jobQueue {
	durs := map[string]time.Duration{}
	if prev != nil {
		for _, r := range prev.Results {
			durs[r.File+"\x00"+baseName(r.Scenario)] = r.Duration
		}
	}
	q := &jobQueue{jobs: slices.Clone(jobs), twoEnded: len(durs) > 0}
	slices.SortStableFunc(q.jobs, func(a, b job) int {
		da, oka := durs[a.File+"\x00"+a.Name]
		db, okb := durs[b.File+"\x00"+b.Name]
		switch {
		case oka != okb:
			if !oka {
				return -1
			}
			return 1
		case da != db:
			if da > db {
				return -1
			}
			return 1
		}
		return 0
	})
	return q
}

// take is worker k's next job; false when none is left.
func (q *jobQueue) take(k int) (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) == 0 {
		return job{}, false
	}
	if q.twoEnded && k%2 == 1 {
		j := q.jobs[len(q.jobs)-1]
		q.jobs = q.jobs[:len(q.jobs)-1]
		return j, true
	}
	j := q.jobs[0]
	q.jobs = q.jobs[1:]
	return j, true
}
