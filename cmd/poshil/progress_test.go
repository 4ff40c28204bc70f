package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

// TestETAFromRecordedDurations: the ETA is the recorded durations of what
// is left, less the running scenario's elapsed time; a scenario the record
// does not know counts as this run's mean. It falls steadily while a
// scenario runs (it used to jump with every finished scenario's mean).
func TestETAFromRecordedDurations(t *testing.T) {
	rec := &report.Record{Results: []verdict.Result{
		{Scenario: "a #1", Duration: 2 * time.Second},
		{Scenario: "b", Duration: 10 * time.Second},
	}}
	e := newEstimator(rec)
	if got := e.remaining("", 0, []string{"a", "b"}); got != 12*time.Second {
		t.Errorf("before the run: %v, want 12s", got)
	}
	prev := time.Hour
	for el := time.Duration(0); el <= 12*time.Second; el += time.Second {
		got := e.remaining("b", el, []string{"a"})
		if want := max(10*time.Second-el, 0) + 2*time.Second; got != want {
			t.Errorf("b running %v: %v, want %v", el, got, want)
		}
		if got > prev {
			t.Errorf("b running %v: ETA rose from %v to %v", el, prev, got)
		}
		prev = got
	}
	e.finished("c", 4*time.Second)
	e.finished("d", 6*time.Second)
	if got := e.expect("unknown"); got != 5*time.Second {
		t.Errorf("unknown scenario: %v, want the run's mean 5s", got)
	}
	if got := newEstimator(nil).remaining("x", time.Second, []string{"y"}); got != 0 {
		t.Errorf("nothing known: %v, want 0", got)
	}
}

// escape is any terminal escape sequence or carriage return.
var escape = regexp.MustCompile("\x1b\\[|\r")

// TestProgressPlainLines: not on a terminal, one stable line per
// scenario, no escape sequences, whatever NO_COLOR says.
func TestProgressPlainLines(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	var out bytes.Buffer
	p := newProgress(&out, true, 2, newEstimator(nil))
	p.println("poshil: bench b, 2 scenario(s)")
	p.start("a", []string{"b"})
	p.line("a", verdict.Line{At: time.Millisecond, Source: "poshil", Text: "step 1: sale 12.50"})
	p.finish(verdict.Result{Scenario: "a", Class: verdict.Pass, Duration: 1500 * time.Millisecond})
	p.start("b", nil)
	p.finish(verdict.Result{Scenario: "b", Class: verdict.Fail, Reason: "expected APPROVED, got DECLINED", Duration: time.Second})
	p.close()
	want := "poshil: bench b, 2 scenario(s)\n" +
		"        1.000ms poshil step 1: sale 12.50\n" +
		"[1/2 eta 2s] PASS        a (1.5s)\n" +
		"[2/2 eta 0s] FAIL        b (1s)\n" +
		"        expected APPROVED, got DECLINED\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// ptyRun runs poshil with args under a pseudo-terminal, with env added,
// and returns all it printed.
func ptyRun(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	read := make(chan error, 1)
	go func() { _, err := io.Copy(&out, f); read <- err }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("poshil %v: %v", args, err)
		}
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("poshil %v did not finish", args)
	}
	select {
	case err := <-read: // EIO when the child's side closes
		var errno syscall.Errno
		if err != nil && !(errors.As(err, &errno) && errno == syscall.EIO) {
			t.Errorf("reading the pty: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the pty never closed")
	}
	return out.String()
}

// TestLiveProgressOnATerminal runs a scenario under a pty: a status line
// redrawn in place with the scenario, its step, elapsed time and ETA, the
// verdict in colour; with NO_COLOR no colour but the same live line; the
// same run piped prints plain lines only.
func TestLiveProgressOnATerminal(t *testing.T) {
	needBench(t)
	bin := buildPoshil(t)
	sc := write(t, "approved.yaml", strings.Replace(approved, "  - insert: chip", "  - wait: 1s\n  - insert: chip", 1))
	out := t.TempDir()
	status := regexp.MustCompile(`\r\x1b\[K(\x1b\[36m)?\[1/1\] approved · step \d: [^·]+ · [0-9.]+m?s · eta \d+s`)

	got := ptyRun(t, bin, []string{"TERM=xterm", "NO_COLOR="}, "run", "--out", out, sc)
	if !status.MatchString(got) || !strings.Contains(got, "step 3: wait 1s") {
		t.Errorf("no live status line with the step on a terminal:\n%q", got)
	}
	if !strings.Contains(got, "\x1b[32mPASS") || !strings.Contains(got, "\x1b[36m[1/1]") {
		t.Errorf("no colours on a terminal:\n%q", got)
	}

	// The first run's record gives the second its ETA.
	got = ptyRun(t, bin, []string{"TERM=xterm", "NO_COLOR=1"}, "run", "--out", out, sc)
	if !status.MatchString(got) {
		t.Errorf("NO_COLOR: no live status line:\n%q", got)
	}
	if regexp.MustCompile(`\x1b\[[0-9;]*m`).MatchString(got) {
		t.Errorf("NO_COLOR: colours:\n%q", got)
	}
	if !regexp.MustCompile(`eta [1-9]\d*s`).MatchString(got) {
		t.Errorf("second run: no ETA from the first run's record:\n%q", got)
	}

	cmd := exec.Command(bin, "run", "--out", out, sc)
	cmd.Env = append(os.Environ(), "TERM=xterm", "NO_COLOR=")
	piped, err := cmd.Output()
	if err != nil {
		t.Fatalf("piped run: %v", err)
	}
	if escape.Match(piped) {
		t.Errorf("piped output has escape sequences:\n%q", piped)
	}
	if !regexp.MustCompile(`(?m)^\[1/1 eta 0s\] PASS        approved \(\d`).Match(piped) {
		t.Errorf("piped output:\n%s", piped)
	}
}
