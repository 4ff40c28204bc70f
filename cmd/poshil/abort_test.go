package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
	"golang.org/x/sys/unix"
)

// TestOutputsFollowUmask: record.json, report.html and junit.xml are all
// 0666 less the umask (they were 0644, 0644 and 0600 whatever it was;
// umask 002 tells 0666 from 0644).
func TestOutputsFollowUmask(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "out")
	rs := []verdict.Result{{Scenario: "a", File: "a.yaml", Class: verdict.Pass, Started: time.Now()}}
	var stderr bytes.Buffer
	writeReports(dir, report.NewRun("b", "", nil), rs, &stderr)
	if stderr.Len() > 0 {
		t.Fatal(stderr.String())
	}
	for _, f := range []string{"record.json", "report.html", "junit.xml"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o664 {
			t.Errorf("%s: mode %v under umask 002, want 0664", f, st.Mode().Perm())
		}
	}
}

// proc is a poshil process under test, its stdout read line by line.
type proc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}

	mu     sync.Mutex
	lines  []string
	more   chan struct{} // closed when a line arrives
	cursor int           // next line waitLine looks at
}

func startPoshil(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{}), more: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	// A process group of its own, as a shell's job has: a test can signal
	// the whole job, as a terminal's Ctrl-C does.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.done })
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
		_ = p.cmd.Wait()
	}()
	return p
}

// waitLine waits for a later stdout line containing text.
func (p *proc) waitLine(t *testing.T, text string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		p.mu.Lock()
		for p.cursor < len(p.lines) {
			l := p.lines[p.cursor]
			p.cursor++
			if strings.Contains(l, text) {
				p.mu.Unlock()
				return
			}
		}
		more := p.more
		p.mu.Unlock()
		select {
		case <-more:
		case <-p.done:
			t.Fatalf("poshil ended before %q:\n%s%s", text, p.output(), p.stderr.String())
		case <-deadline:
			t.Fatalf("no %q within %v:\n%s", text, within, p.output())
		}
	}
}

// wait waits for the exit status.
func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("poshil did not end within %v:\n%s", within, p.output())
	}
	return -1
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// dutsOf opens a pidfd on every child of pid (its DUT), closed at cleanup.
func dutsOf(t *testing.T, pid int) []int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	var fds []int
	for _, e := range ents {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at ')'.
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != fmt.Sprint(pid) {
			continue
		}
		var child int
		fmt.Sscan(e.Name(), &child)
		fd, err := unix.PidfdOpen(child, 0)
		if err != nil {
			continue
		}
		t.Cleanup(func() { _ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); unix.Close(fd) })
		fds = append(fds, fd)
	}
	if len(fds) == 0 {
		t.Fatalf("poshil (pid %d) has no DUT process", pid)
	}
	return fds
}

// ended waits (bounded) until the process of pidfd fd has ended.
func ended(fd int, within time.Duration) bool {
	n, _ := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(within.Milliseconds()))
	return n == 1
}

// needBench skips unless a private bench (ci/isolated.sh) or CI is there:
// these tests insert cards into vpcd slot 0, which other users of the
// host's pcscd may be using.
func needBench(t *testing.T) {
	if os.Getenv("POSHIL_ISOLATED") == "" && os.Getenv("CI") == "" {
		t.Skip("needs a private bench: ci/isolated.sh go test ./cmd/poshil/ -run " + t.Name())
	}
}

// buildPoshil builds the poshil binary (and refterm, beside it).
func buildPoshil(t *testing.T) string {
	t.Helper()
	root := buildRefterm(t)
	bin := filepath.Join(os.Getenv("POSHIL_BIN"), "poshil")
	build := exec.Command("go", "build", "-o", bin, "./cmd/poshil")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build poshil: %v\n%s", err, out)
	}
	t.Setenv("TMPDIR", t.TempDir()) // work folders of this test only
	return bin
}

const approved = `name: approved
card: visa-credit
timeout: 20s
steps:
  - sale: 12.50
  - display: INSERT CARD
  - insert: chip
  - display: ENTER PIN
  - pin: correct
expect: {outcome: APPROVED, within: 10s}
`

// held is a scenario that keeps the bench (card in, at the PIN prompt)
// until the test is done with it.
const held = `name: held at the PIN prompt
card: visa-credit
timeout: 60s
steps:
  - sale: 12.50
  - insert: chip
  - display: ENTER PIN
  - wait: 40s
expect: {outcome: APPROVED}
`

func readRecord(t *testing.T, dir string) report.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTwoRunsOneBench: while one `poshil run` holds the bench, a second
// says "bench busy, held by pid N" (exit 2), a third with --wait waits and
// passes; none gives a FAIL.
func TestTwoRunsOneBench(t *testing.T) {
	needBench(t)
	bin := buildPoshil(t)
	a := write(t, "approved.yaml", approved)
	// The wait comes before the sale: the terminal is not yet waiting for
	// a card, so its card_wait does not run out meanwhile.
	slow := write(t, "slow.yaml", strings.Replace(approved, "  - sale: 12.50", "  - wait: 3s\n  - sale: 12.50", 1))
	first := startPoshil(t, bin, "run", "--out", t.TempDir(), a, slow)
	first.waitLine(t, "[1/2", 60*time.Second)

	second := startPoshil(t, bin, "run", "--out", t.TempDir(), a)
	if code := second.wait(t, 30*time.Second); code != verdict.ExitBenchError {
		t.Fatalf("second run: exit %d, want 2\n%s%s", code, second.output(), second.stderr.String())
	}
	if want := fmt.Sprintf("bench busy, held by pid %d", first.cmd.Process.Pid); !strings.Contains(second.stderr.String(), want) {
		t.Errorf("second run does not say %q:\n%s", want, second.stderr.String())
	}
	third := startPoshil(t, bin, "run", "--wait", "90s", "--out", t.TempDir(), a)
	if code := first.wait(t, 60*time.Second); code == verdict.ExitFail {
		t.Errorf("first run FAILed:\n%s", first.output())
	}
	if code := third.wait(t, 90*time.Second); code != 0 {
		t.Errorf("waiting run: exit %d, want 0\n%s%s", code, third.output(), third.stderr.String())
	}
	for _, p := range []*proc{first, second, third} {
		if strings.Contains(p.output(), "FAIL ") {
			t.Errorf("a FAIL:\n%s", p.output())
		}
	}
}

// TestKill9MidRun: poshil killed with SIGKILL in its second scenario has
// the first one's result on disk, its DUT dies with it, and the next run
// cleans its work folder (saying so) and passes.
func TestKill9MidRun(t *testing.T) {
	needBench(t)
	bin := buildPoshil(t)
	out := t.TempDir()
	a := write(t, "approved.yaml", approved)
	h := write(t, "held.yaml", held)
	victim := startPoshil(t, bin, "run", "--verbose", "--out", out, a, h)
	victim.waitLine(t, "[1/2", 60*time.Second)
	rec := readRecord(t, out)
	if len(rec.Results) != 1 || rec.Results[0].Class != verdict.Pass {
		t.Fatalf("record.json after the first scenario: %+v", rec.Results)
	}
	victim.waitLine(t, "DISPLAY text=ENTER PIN", 30*time.Second) // the second scenario's DUT is up
	duts := dutsOf(t, victim.cmd.Process.Pid)
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.wait(t, 10*time.Second)
	for _, fd := range duts {
		if !ended(fd, 2*time.Second) {
			t.Errorf("a DUT outlived poshil killed with SIGKILL")
		}
	}
	if rec := readRecord(t, out); len(rec.Results) != 1 {
		t.Errorf("record.json after kill -9: %d results, want the finished one", len(rec.Results))
	}
	if junit, err := os.ReadFile(filepath.Join(out, "junit.xml")); err != nil || !bytes.Contains(junit, []byte(`name="approved"`)) {
		t.Errorf("junit.xml after kill -9 lacks the finished scenario: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), "poshil-bench-*"))
	if len(left) != 1 {
		t.Fatalf("work folders after kill -9: %v, want the victim's", left)
	}
	next := startPoshil(t, bin, "run", "--out", t.TempDir(), a)
	if code := next.wait(t, 60*time.Second); code != 0 {
		t.Errorf("next run: exit %d\n%s%s", code, next.output(), next.stderr.String())
	}
	if !strings.Contains(next.stderr.String(), "cleaned up after a killed run (pid "+fmt.Sprint(victim.cmd.Process.Pid)) {
		t.Errorf("the next run does not say it cleaned up:\n%s", next.stderr.String())
	}
	if _, err := os.Stat(left[0]); !os.IsNotExist(err) {
		t.Errorf("the killed run's folder is still there: %v", err)
	}
}

// TestSecondInterrupt: Ctrl-C twice (here SIGINT, SIGTERM) in the second scenario exits 130 at
// once with the first scenario's result on disk; Ctrl-C once aborts the
// scenario, writes every report and ends as a bench error.
func TestSecondInterrupt(t *testing.T) {
	needBench(t)
	bin := buildPoshil(t)
	a := write(t, "approved.yaml", approved)
	h := write(t, "held.yaml", held)
	for _, tt := range []struct {
		name    string
		signals int
		code    int
		results int
	}{
		{"twice", 2, 130, 1},
		{"once", 1, verdict.ExitBenchError, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			p := startPoshil(t, bin, "run", "--verbose", "--out", out, a, h)
			p.waitLine(t, "[1/2", 60*time.Second)
			p.waitLine(t, "DISPLAY text=ENTER PIN", 30*time.Second)
			// Two SIGINTs sent at once may arrive as one (signals are not
			// queued); SIGINT then SIGTERM are two, and mean the same.
			for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM}[:tt.signals] {
				if err := p.cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			if code := p.wait(t, 15*time.Second); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, p.output(), p.stderr.String())
			}
			t.Logf("ended %v after the signal", time.Since(start).Round(time.Millisecond))
			rec := readRecord(t, out)
			if len(rec.Results) != tt.results || rec.Results[0].Class != verdict.Pass {
				t.Errorf("record.json: %+v, want %d results, the first PASS", rec.Results, tt.results)
			}
		})
	}
}

// stalled holds the authorisation request on the network path far longer
// than the terminal waits for it.
const stalled = `name: held by a stall
card: visa-credit
timeout: 30s
faults:
  - net_stall: {}
    when: {mti: "0200"}
    for: 15s
steps:
  - sale: 12.50
  - insert: chip
  - display: ENTER PIN
  - pin: correct
expect: {outcome: HOST_TIMEOUT, never: [APPROVED]}
`

// TestInterruptDuringStall: Ctrl-C while a stall holds the 0200 stops the
// terminal and drops what the stall held: the host never receives the
// authorisation, so nothing is approved that the terminal would have to
// reverse (clearing the stall used to deliver it after the abort).
func TestInterruptDuringStall(t *testing.T) {
	needBench(t)
	bin := buildPoshil(t)
	out := t.TempDir()
	p := startPoshil(t, bin, "run", "--verbose", "--out", out, write(t, "stalled.yaml", stalled))
	p.waitLine(t, "injected net_stall", 60*time.Second)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 20*time.Second); code != verdict.ExitBenchError {
		t.Fatalf("exit %d, want 2 (aborted)\n%s%s", code, p.output(), p.stderr.String())
	}
	rec := readRecord(t, out)
	if len(rec.Results) != 1 || rec.Results[0].Evidence == nil {
		t.Fatalf("record.json: %+v", rec.Results)
	}
	approved, reversals := 0, 0
	for _, h := range rec.Results[0].Evidence.Host {
		t.Logf("host %s %s %s", h.Dir, h.MTI, h.Meaning)
		switch {
		case h.Dir == evidence.ToHost && h.MTI == "0200":
			t.Errorf("the host received the 0200 the stall held, after the abort: %s", h.Summary)
		case h.MTI == "0210" && strings.Contains(h.Meaning, "00 approved"):
			approved++
		case h.Dir == evidence.ToHost && (h.MTI == "0400" || h.MTI == "0420"):
			reversals++
		}
	}
	if approved > reversals {
		t.Errorf("%d approval(s) at the host, %d reversal(s): an approved authorisation is left unreversed", approved, reversals)
	}
}
