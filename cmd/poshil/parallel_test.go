package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/isolated"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

// parallelSlice is a slice of the library: card, PIN, host and network
// scenarios, and faults; with the mutant some of them FAIL.
var parallelSlice = []string{
	"../../scenarios/chip/approved-sale.yaml",
	"../../scenarios/host/response-91.yaml",
	"../../scenarios/network/host-unreachable.yaml",
}

var timing = regexp.MustCompile(`\+?[0-9]+(\.[0-9]+)?(ns|µs|ms|s)\b`)

// verdictOf is what a serial and a parallel run must agree on for one
// scenario: its verdict and reason, the outcome, and its evidence as
// commands (APDUs by instruction, host messages by type, receipts), not
// by timestamps or random bytes.
func verdictOf(r verdict.Result) string {
	// Reasons quote when things happened ("at +114ms"): not a verdict.
	reason := timing.ReplaceAllString(r.Reason, "T")
	s := fmt.Sprintf("%s | %s | %s | %s | outcome %s", r.File, r.Scenario, r.Class, reason, r.Outcome)
	if ev := r.Evidence; ev != nil {
		for _, a := range ev.APDUs {
			s += " | apdu " + a.Command + " " + a.Detail
		}
		for _, h := range ev.Host {
			s += " | host " + h.MTI
		}
		s += fmt.Sprintf(" | %d receipt(s), %d fault(s)", len(ev.Receipts), len(ev.Faults))
	}
	return s
}

// TestParallel builds poshil once for the parallel runs' tests.
func TestParallel(t *testing.T) {
	needBench(t)
	if err := isolated.Supported(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	bin := buildPoshil(t)
	t.Run("SameVerdictsAsSerial", func(t *testing.T) { sameVerdictsAsSerial(t, bin) })
	t.Run("Kill9FreesBenches", func(t *testing.T) { kill9FreesBenches(t, bin) })
	t.Run("SIGTERMStopsEveryBench", func(t *testing.T) {
		signalStopsEveryBench(t, bin, func(p *proc) error { return p.cmd.Process.Signal(syscall.SIGTERM) })
	})
	// Ctrl-C signals the whole job: the parent and its workers get SIGINT,
	// then each worker the parent's SIGTERM too.
	t.Run("CtrlCStopsEveryBench", func(t *testing.T) {
		signalStopsEveryBench(t, bin, func(p *proc) error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT) })
	})
	t.Run("VerboseStreamsEveryBench", func(t *testing.T) { verboseStreamsEveryBench(t, bin) })
	t.Run("OneBenchWhereNoIsolation", oneBenchWhereNoIsolation)
}

// oneBenchWhereNoIsolation: where isolated benches cannot run, --parallel
// says why and runs on the one bench, and the scenarios still pass.
func oneBenchWhereNoIsolation(t *testing.T) {
	isolatedSupported = func() error { return fmt.Errorf("%w: pretend", isolated.ErrUnsupported) }
	t.Cleanup(func() { isolatedSupported = isolated.Supported })
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--parallel", "4", "--out", out, write(t, "approved.yaml", approved)}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if want := "--parallel 4: isolated benches not available: pretend: one bench"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
	}
	if rec := readRecord(t, out); rec.Run.Bench != "emulated" || len(rec.Results) != 1 || rec.Results[0].Class != verdict.Pass {
		t.Errorf("record: bench %q, results %+v: want one PASS on the embedded bench", rec.Run.Bench, rec.Results)
	}
}

// sameVerdictsAsSerial: the slice run with --parallel 2 (two isolated
// benches, a worker each) gives the results of a serial run on the one
// bench, scenario by scenario and in the same order, a mutant's FAILs
// included; the record names the benches it ran on.
func sameVerdictsAsSerial(t *testing.T, bin string) {
	workerExe = func() (string, error) { return bin, nil }
	t.Cleanup(func() { workerExe = os.Executable })
	runOnce := func(extra ...string) report.Record {
		t.Helper()
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		args := append([]string{"run", "--out", out, "--mutant", "arc-not-sent"}, extra...)
		code := run(append(args, parallelSlice...), &stdout, &stderr)
		if code != verdict.ExitFail {
			t.Fatalf("poshil %s: exit %d, want 1 (the mutant's FAILs):\n%s\n%s", strings.Join(extra, " "), code, stdout.String(), stderr.String())
		}
		return readRecord(t, out)
	}
	serial := runOnce()
	parallel := runOnce("--parallel", "2")
	if !strings.Contains(parallel.Run.Bench, "2 isolated emulated benches") {
		t.Errorf("parallel record's bench %q: want the 2 isolated benches named", parallel.Run.Bench)
	}
	if len(serial.Results) != len(parallel.Results) {
		t.Fatalf("serial %d results, parallel %d", len(serial.Results), len(parallel.Results))
	}
	classes := map[verdict.Class]int{}
	for i := range serial.Results {
		s, p := verdictOf(serial.Results[i]), verdictOf(parallel.Results[i])
		if s != p {
			t.Errorf("result %d:\nserial   %s\nparallel %s", i+1, s, p)
		}
		classes[parallel.Results[i].Class]++
	}
	if classes[verdict.Pass] == 0 || classes[verdict.Fail] == 0 {
		t.Errorf("the slice should PASS and FAIL under the mutant: %v", classes)
	}
}

// kill9FreesBenches: a `poshil run --parallel 2` killed with SIGKILL
// while both its benches run takes its benches' pcscds and workers with
// it, and the next parallel run gets the same benches and passes.
func kill9FreesBenches(t *testing.T, bin string) {
	h1, h2 := write(t, "held1.yaml", held), write(t, "held2.yaml", strings.Replace(held, "name: held", "name: also held", 1))
	first := startPoshil(t, bin, "run", "--parallel", "2", "--out", t.TempDir(), h1, h2)
	first.waitLine(t, "2 isolated emulated benches", 60*time.Second)
	bothRunning(t, first)
	for _, s := range isolatedBenches(t)[:2] {
		if s.State != "busy" || s.Holder == nil || s.Holder.PID != first.cmd.Process.Pid {
			t.Errorf("poshil benches while the run holds %s: %+v %+v, want busy by pid %d", s.Bench, s, s.Holder, first.cmd.Process.Pid)
		}
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.wait(t, 10*time.Second)
	// Its workers return their benches' parts to their safe state and
	// release them; the benches stay dirty, left by the killed run.
	var states []benchState
	for deadline := time.Now().Add(workerWait); ; {
		states = isolatedBenches(t)[:2]
		if states[0].State != "busy" && states[1].State != "busy" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range states {
		if s.State != "dirty" || s.Holder == nil || s.Holder.PID != first.cmd.Process.Pid || len(s.Keys) != 1 || !strings.Contains(s.Keys[0], "isolated bench") {
			t.Errorf("poshil benches after kill -9: %s %+v %+v, want dirty with only its folder left by pid %d (the worker released its slot and reader)", s.Bench, s, s.Holder, first.cmd.Process.Pid)
		}
	}

	a := write(t, "approved.yaml", approved)
	a2 := write(t, "approved2.yaml", strings.Replace(approved, "name: approved", "name: approved again", 1))
	out := t.TempDir()
	next := startPoshil(t, bin, "run", "--parallel", "2", "--out", out, a, a2)
	if code := next.wait(t, 90*time.Second); code != 0 {
		t.Fatalf("the next run: exit %d\n%s%s", code, next.output(), next.stderr.String())
	}
	rec := readRecord(t, out)
	if !strings.Contains(rec.Run.Bench, "emulated-1, emulated-2") {
		t.Errorf("the next run ran on %q: want the killed run's benches 1 and 2, free again", rec.Run.Bench)
	}
	for k := 1; k <= 2; k++ {
		want := fmt.Sprintf("bench emulated-%d was left dirty by run %s (pid %d", k, states[0].Holder.RunID, first.cmd.Process.Pid)
		if !strings.Contains(next.stderr.String(), want) {
			t.Errorf("the next run does not say it restored bench %d (%q):\n%s", k, want, next.stderr.String())
		}
	}
	for _, s := range isolatedBenches(t)[:2] {
		if s.State != "free" {
			t.Errorf("poshil benches after the next run: %s %+v, want free", s.Bench, s)
		}
	}
}

// isolatedBenches is `poshil benches --json` on the embedded inventory:
// here, its isolated benches.
func isolatedBenches(t *testing.T) []benchState {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run([]string{"benches", "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("benches: exit %d: %s", code, errOut.String())
	}
	var got []benchState
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) < 2 || got[0].Bench != "emulated-1" || got[1].Bench != "emulated-2" {
		t.Fatalf("benches --json: %v\n%s", err, out.String())
	}
	return got
}

// verboseStreamsEveryBench: --verbose with --parallel prints every
// bench's transcript as it comes, each line named by its bench.
func verboseStreamsEveryBench(t *testing.T, bin string) {
	workerExe = func() (string, error) { return bin, nil }
	t.Cleanup(func() { workerExe = os.Executable })
	a := write(t, "approved.yaml", approved)
	a2 := write(t, "approved2.yaml", strings.Replace(approved, "name: approved", "name: approved again", 1))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--parallel", "2", "--verbose", "--out", t.TempDir(), a, a2}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for k := 1; k <= 2; k++ {
		if want := fmt.Sprintf("emulated-%d", k); !regexp.MustCompile(`(?m)^    ` + want + ` +[0-9.]+ms (dut|poshil|card|host) +.*RESULT`).MatchString(stdout.String()) {
			t.Errorf("no transcript line of bench %s with the RESULT:\n%s", want, stdout.String())
		}
	}
}

// signalStopsEveryBench: SIGTERM to a parallel run, or SIGINT to its
// job, stops the scenario on every bench (each worker returns its bench
// to its safe state and answers), writes the record with every
// scenario's result, exits 2 and releases its benches.
func signalStopsEveryBench(t *testing.T, bin string, signal func(*proc) error) {
	h1, h2 := write(t, "held1.yaml", held), write(t, "held2.yaml", strings.Replace(held, "name: held", "name: also held", 1))
	out := t.TempDir()
	p := startPoshil(t, bin, "run", "--parallel", "2", "--out", out, h1, h2)
	p.waitLine(t, "2 isolated emulated benches", 60*time.Second)
	bothRunning(t, p)
	if err := signal(p); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 30*time.Second); code != verdict.ExitBenchError {
		t.Errorf("exit %d after the signal, want 2\n%s%s", code, p.output(), p.stderr.String())
	}
	rec := readRecord(t, out)
	if len(rec.Results) != 2 {
		t.Fatalf("%d results, want both scenarios'", len(rec.Results))
	}
	for _, r := range rec.Results {
		if r.Class != verdict.BenchError || !strings.Contains(r.Reason, "abort") {
			t.Errorf("%s: %s %s, want BENCH_ERROR (aborted)", r.Scenario, r.Class, r.Reason)
		}
	}
	for k := 1; k <= 2; k++ {
		b, err := isolated.Start(t.Context(), k)
		if err != nil {
			t.Errorf("bench %d after the run ended: %v", k, err)
			continue
		}
		b.Stop()
	}
}

// bothRunning waits until benches 1 and 2 are mid-scenario: each
// worker's rig holds its card slot.
func bothRunning(t *testing.T, first *proc) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for k := 1; k <= 2; {
		key, err := lease.VPCDSlot(t.Context(), fmt.Sprintf("127.0.0.1:%d", isolated.Port(k)))
		if err != nil {
			t.Fatal(err)
		}
		st, err := lease.Probe(key)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) == 1 && st[0].Busy {
			k++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("bench %d never started its scenario:\n%s", k, first.output())
		}
		select {
		case <-first.done:
			t.Fatalf("poshil ended:\n%s%s", first.output(), first.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestLinePrefix: a worker's notices reach stderr line by line, each
// named by its bench, however the writes split them.
func TestLinePrefix(t *testing.T) {
	var out bytes.Buffer
	w := &linePrefix{prefix: "emulated-2: ", w: &out}
	for _, s := range []string{"poshil: restored", " its safe state\nsecond", " line\n", "third"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if want := "emulated-2: poshil: restored its safe state\nemulated-2: second line\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestJobQueue: without a record every worker takes the next job in the
// serial run's order; with one, even workers take the longest left and
// odd workers the shortest (a scenario the record lacks counts as long),
// and every job is taken exactly once.
func TestJobQueue(t *testing.T) {
	jobs := []job{{0, "a.yaml", "a"}, {1, "b.yaml", "b"}, {2, "c.yaml", "c"}, {3, "d.yaml", "d"}, {4, "e.yaml", "e"}}
	takeAll := func(q *jobQueue, workers ...int) []string {
		var got []string
		for i := 0; ; i++ {
			j, ok := q.take(workers[i%len(workers)])
			if !ok {
				return got
			}
			got = append(got, fmt.Sprintf("%d %s", workers[i%len(workers)], j.Name))
		}
	}
	if got, want := takeAll(newJobQueue(jobs, nil), 0, 1), []string{"0 a", "1 b", "0 c", "1 d", "0 e"}; !slices.Equal(got, want) {
		t.Errorf("no record: %v, want %v", got, want)
	}
	prev := &report.Record{Results: []verdict.Result{
		{File: "a.yaml", Scenario: "a", Duration: 30 * time.Millisecond},
		{File: "b.yaml", Scenario: "b", Duration: 2 * time.Second},
		{File: "c.yaml", Scenario: "c", Duration: 10 * time.Millisecond},
		{File: "e.yaml", Scenario: "e #2", Duration: 500 * time.Millisecond},
	}}
	// d is unknown (long), then b 2s, e 500ms, a 30ms, c 10ms.
	if got, want := takeAll(newJobQueue(jobs, prev), 0, 1), []string{"0 d", "1 c", "0 b", "1 a", "0 e"}; !slices.Equal(got, want) {
		t.Errorf("with a record, two workers: %v, want %v", got, want)
	}
	if got, want := takeAll(newJobQueue(jobs, prev), 0, 1, 2, 3), []string{"0 d", "1 c", "2 b", "3 a", "0 e"}; !slices.Equal(got, want) {
		t.Errorf("with a record, four workers: %v, want %v", got, want)
	}
}
