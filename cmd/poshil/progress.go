package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

// How poshil run shows a run as it goes
//
// On a terminal: one status line, redrawn in place a few times a second,
// with the current scenario, its current step, how long it has run and
// the ETA of the whole run; each finished scenario's line is printed above
// it, its verdict in colour (none when NO_COLOR is set or TERM is dumb).
// Anywhere else (a CI log, a pipe): one plain line per finished scenario,
// no escape sequences, the same text every time.
//
// The ETA comes from recorded durations: the last run's record.json in
// --out says how long each scenario took; a scenario it does not know is
// counted at the mean of this run's finished scenarios.

// progress follows one run. Its methods may be called from any goroutine.
type progress struct {
	out     io.Writer
	verbose bool
	tty     bool
	colour  bool
	width   int
	est     *estimator

	mu      sync.Mutex
	total   int
	done    int
	current string    // scenario running, "" between scenarios
	step    string    // its current step
	started time.Time // when it started
	rest    []string  // scenarios after it
	drawn   bool      // the status line is on the screen

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// redrawEvery is how often the status line is redrawn on a terminal.
const redrawEvery = 200 * time.Millisecond

// newProgress follows a run of total scenarios printed to out. The
// terminal mode is chosen when out is a terminal; colours unless NO_COLOR
// is set (https://no-color.org) or TERM is dumb.
func newProgress(out io.Writer, verbose bool, total int, est *estimator) *progress {
	p := &progress{out: out, verbose: verbose, total: total, est: est, width: 80, stop: make(chan struct{})}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb" {
		p.tty = true
		p.colour = os.Getenv("NO_COLOR") == ""
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			p.width = w
		}
		p.wg.Add(1)
		go p.redraw()
	}
	return p
}

func (p *progress) redraw() {
	defer p.wg.Done()
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.drawStatus()
			p.mu.Unlock()
		}
	}
}

// close stops the redraws and takes the status line off the screen; it
// may be called again.
func (p *progress) close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
}

// start says scenario name begins; rest are the ones after it.
func (p *progress) start(name string, rest []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current, p.step, p.started, p.rest = name, "starting", time.Now(), rest
	p.drawStatus()
}

// line sees a live transcript line: a step starting, and with --verbose
// every line, printed.
func (p *progress) line(_ string, l verdict.Line) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l.Source == "poshil" && strings.HasPrefix(l.Text, "step ") {
		p.step = l.Text
	}
	if p.verbose {
		p.printLocked(fmt.Sprintf("    %9.3fms %-6s %s", float64(l.At.Microseconds())/1000, l.Source, l.Text))
	}
}

// benchLine sees a live transcript line from bench (a parallel run's
// worker): printed with --verbose, each named by its bench, as the
// benches' lines interleave.
func (p *progress) benchLine(bench string, l verdict.Line) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verbose {
		p.printLocked(fmt.Sprintf("    %-11s %9.3fms %-6s %s", bench, float64(l.At.Microseconds())/1000, l.Source, l.Text))
	}
}

// finish says the current scenario ended with r.
func (p *progress) finish(r verdict.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.est.finished(p.current, r.Duration)
	p.current = ""
	eta := p.est.remaining("", 0, p.rest)
	verdictText := fmt.Sprintf("%-11s", r.Class)
	if p.colour {
		verdictText = colourOf(r.Class) + verdictText + ansiReset
	}
	line := fmt.Sprintf("[%d/%d eta %s] %s %s (%v)", p.done, p.total, eta.Round(time.Second), verdictText, r.Scenario, r.Duration.Round(time.Millisecond))
	if r.Class != verdict.Pass {
		line += "\n        " + strings.ReplaceAll(r.Reason, "\n", "\n        ")
	}
	p.printLocked(line)
}

// println prints a line of its own (above the status line on a terminal).
func (p *progress) println(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printLocked(s)
}

// notice writes a message to w (stderr), taking the status line off the
// terminal first so the two do not mix.
func (p *progress) notice(w io.Writer, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	fmt.Fprintln(w, msg)
	p.drawStatus()
}

func (p *progress) printLocked(s string) {
	p.clearStatus()
	fmt.Fprintln(p.out, s)
	p.drawStatus()
}

const (
	ansiReset     = "\x1b[0m"
	ansiClearLine = "\r\x1b[K"
)

func colourOf(c verdict.Class) string {
	switch c {
	case verdict.Pass:
		return "\x1b[32m" // green
	case verdict.Fail:
		return "\x1b[1;31m" // bold red
	case verdict.BenchError:
		return "\x1b[33m" // yellow
	default:
		return "\x1b[35m" // magenta: INVALID
	}
}

func (p *progress) clearStatus() {
	if p.drawn {
		fmt.Fprint(p.out, ansiClearLine)
		p.drawn = false
	}
}

// drawStatus (re)draws the status line on a terminal, cut to its width.
func (p *progress) drawStatus() {
	if !p.tty || p.current == "" {
		return
	}
	elapsed := time.Since(p.started)
	eta := p.est.remaining(p.current, elapsed, p.rest)
	s := fmt.Sprintf("[%d/%d] %s · %s · %s · eta %s", p.done+1, p.total, p.current, p.step,
		elapsed.Round(100*time.Millisecond), eta.Round(time.Second))
	if utf8.RuneCountInString(s) > p.width-1 {
		s = string([]rune(s)[:p.width-2]) + "…"
	}
	if p.colour {
		s = "\x1b[36m" + s + ansiReset // cyan
	}
	fmt.Fprint(p.out, ansiClearLine+s)
	p.drawn = true
}

// estimator predicts scenario durations from a previous record and from
// the scenarios finished in this run.
type estimator struct {
	recorded map[string]time.Duration
	sum      time.Duration
	n        int
}

// newEstimator knows the durations of rec's results (the last of each
// name; a --repeat round's " #N" taken off).
func newEstimator(rec *report.Record) *estimator {
	e := &estimator{recorded: map[string]time.Duration{}}
	if rec != nil {
		for _, r := range rec.Results {
			if r.Duration > 0 {
				e.recorded[baseName(r.Scenario)] = r.Duration
			}
		}
	}
	return e
}

// finished learns that name took d.
func (e *estimator) finished(name string, d time.Duration) {
	e.sum += d
	e.n++
	if _, ok := e.recorded[name]; !ok && name != "" {
		e.recorded[name] = d
	}
}

// expect is how long name should take: as recorded, else the mean of
// this run so far, else the mean of the record, else 0 (unknown).
func (e *estimator) expect(name string) time.Duration {
	if d, ok := e.recorded[name]; ok {
		return d
	}
	if e.n > 0 {
		return e.sum / time.Duration(e.n)
	}
	if len(e.recorded) > 0 {
		var sum time.Duration
		for _, d := range e.recorded {
			sum += d
		}
		return sum / time.Duration(len(e.recorded))
	}
	return 0
}

// remaining is the time left: what current (running for elapsed) should
// still take, plus rest.
func (e *estimator) remaining(current string, elapsed time.Duration, rest []string) time.Duration {
	var left time.Duration
	if current != "" {
		left = max(e.expect(current)-elapsed, 0)
	}
	for _, n := range rest {
		left += e.expect(n)
	}
	return left
}

// baseName takes a --repeat round's " #N" off a result's name.
func baseName(name string) string {
	if i := strings.LastIndex(name, " #"); i > 0 && name[i+2:] != "" && strings.Trim(name[i+2:], "0123456789") == "" {
		return name[:i]
	}
	return name
}
