package dut

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/yamldoc"
)

// PerSale makes the process adapter start the firmware program once per
// sale, as a one-shot kernel or a payment CLI runs: the sale's fields go
// in its arguments and environment, its output lines are read by the
// profile's receive rules as usual, and when it exits its result is, in
// this order: a RESULT its output already gave; its last line, when
// LastLine matches it; its exit status, when ExitCodes maps it. The
// adapter reports READY at start and after each program ends (the
// terminal is idle again), and BUSY for a sale sent while one runs.
type PerSale struct {
	// Args are appended to the bench's command for each sale; each is a
	// template over the sale's fields (amount in minor units, currency,
	// ref), e.g. ["--amount", "{{decimal .amount 2}}"].
	Args []*Template `yaml:"args"`
	// Env adds environment variables for each sale, templates as Args.
	Env map[string]*Template `yaml:"env"`
	// LastArgs, when set, starts the program for a LAST request (the
	// terminal's last result) with these arguments; without it LAST
	// cannot be sent.
	LastArgs []*Template `yaml:"last_args"`
	// ExitCodes maps the program's exit status onto the firmware's own
	// codes, which Codes maps onto canonical outcomes.
	ExitCodes map[int]string `yaml:"exit_codes"`
	// LastLine, when set, reads the result from the program's last output
	// line: its named groups become the RESULT's fields, a dut_code group
	// is mapped by Codes.
	LastLine *Pattern `yaml:"last_line"`
}

// Check validates the templates against a sample sale.
func (ps *PerSale) Check(n *yaml.Node) error {
	var pr problems
	sale := sample(ecr.Sale)
	for i, t := range ps.Args {
		if t == nil {
			pr.at(yamldoc.FindOr(n, "args"), "args[%d]: want a template", i)
			continue
		}
		if _, err := renderOne(t, sale); err != nil {
			pr.at(yamldoc.FindOr(n, "args"), "args[%d]: %v", i, err)
		}
	}
	for k, t := range ps.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			pr.at(keyNode(yamldoc.FindOr(n, "env"), k), "env %q: a variable name cannot be empty or hold = or NUL", k)
		}
		if t == nil {
			pr.at(keyNode(yamldoc.FindOr(n, "env"), k), "env %s: want a template", k)
			continue
		}
		if _, err := renderOne(t, sale); err != nil {
			pr.at(keyNode(yamldoc.FindOr(n, "env"), k), "env %s: %v", k, err)
		}
	}
	for i, t := range ps.LastArgs {
		if t == nil {
			pr.at(yamldoc.FindOr(n, "last_args"), "last_args[%d]: want a template", i)
			continue
		}
		if _, err := renderOne(t, sample(ecr.Last)); err != nil {
			pr.at(yamldoc.FindOr(n, "last_args"), "last_args[%d]: %v", i, err)
		}
	}
	for st := range ps.ExitCodes {
		if st < 0 || st > 255 {
			pr.at(yamldoc.FindOr(n, "exit_codes"), "exit_codes: %d is not an exit status (0 to 255)", st)
		}
	}
	if ps.LastLine != nil && ps.LastLine.re != nil {
		names := ps.LastLine.re.SubexpNames()
		if !slices.Contains(names, dutCodeGroup) && !slices.Contains(names, "code") {
			pr.at(yamldoc.FindOr(n, "last_line"), "last_line: capture the result with a (?P<dut_code>...) or (?P<code>...) group")
		}
	}
	return pr.err()
}

// renderOne runs one template over m's fields, as a send template is
// run (control characters refused), its lines joined.
func renderOne(t *Template, m ecr.Message) (string, error) {
	lines, err := (&Send{}).render(t, m)
	if err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

// Program is one run of a per-sale firmware program, as the runner starts
// it: its pipes, and how it ended.
type Program interface {
	// Pipes are its stdin and its output (stdout and stderr).
	Pipes() (stdin io.WriteCloser, output io.ReadCloser)
	// Done is closed when it has ended; Err then says how (an
	// *exec.ExitError for a non-zero status).
	Done() <-chan struct{}
	Err() error
	// Kill ends it at once, bounded.
	Kill()
}

// StartFunc starts the firmware program once with extra arguments and
// environment variables ("NAME=value"). A program that cannot start is
// the bench's trouble: the error says so (the runner returns a bench
// error).
type StartFunc func(args, env []string) (Program, error)

// NewPerSale is the process adapter for a profile with per_sale: no
// program runs until a sale (or LAST, with last_args) is sent; start
// starts one. READY is reported at once.
func NewPerSale(start StartFunc, prof *Profile, tap func(dir, line string)) (*ProcessLink, error) {
	if err := usable(prof); err != nil {
		return nil, err
	}
	if prof.PerSale == nil || start == nil {
		return nil, fmt.Errorf("%w: %s has no per_sale", ErrProfile, prof)
	}
	l := &ProcessLink{c: newCore(prof, fmt.Sprintf("dut %s (process per sale)", prof.Name), tap), start: start}
	l.c.write = l.write
	l.c.observe = l.observe
	l.idle("at start")
	return l, nil
}

// perSale is the state of the program of the sale in progress.
type perSale struct {
	prog   Program
	result bool          // its output gave a RESULT
	last   string        // its last non-empty output line
	killed bool          // KillProgram ended it: no result, no READY
	fin    chan struct{} // closed when finish is done with it
}

// observe follows the current program's output for its result.
func (l *ProcessLink) observe(line string, m ecr.Message, matched bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return
	}
	if strings.TrimSpace(line) != "" {
		l.cur.last = line
	}
	if matched && m.Kind == ecr.Result {
		l.cur.result = true
	}
}

// idle reports the terminal idle: READY, synthesized.
func (l *ProcessLink) idle(when string) {
	l.c.tap(TapNote, "READY synthesized "+when+" (per_sale: no program runs)")
	l.c.enqueue(ecr.Message{Kind: ecr.Ready, Fields: []ecr.Field{{Key: "synthesized", Value: "1"}}})
}

// Restart is a per-sale terminal's power cycle: the program of the sale
// in progress is killed and the terminal is idle again.
func (l *ProcessLink) Restart() {
	l.KillProgram()
	if l.c.ctx.Err() == nil {
		l.idle("after a restart")
	}
}

// KillProgram (per sale) kills the running program, if any, as a power
// cut does, and waits (bounded) until its output is read to the end and
// the terminal is idle.
func (l *ProcessLink) KillProgram() {
	l.mu.Lock()
	cur := l.cur
	if cur != nil {
		cur.killed = true
	}
	l.mu.Unlock()
	if cur == nil {
		return
	}
	cur.prog.Kill()
	select {
	case <-cur.fin:
	case <-time.After(2 * closeWait):
	}
}

// sendPerSale starts the program for m (SALE, or LAST with last_args).
func (l *ProcessLink) sendPerSale(ctx context.Context, m ecr.Message) error {
	ps := l.c.prof.PerSale
	tmpls := ps.Args
	if m.Kind == ecr.Last {
		tmpls = ps.LastArgs
	}
	args := make([]string, 0, len(tmpls))
	for _, t := range tmpls {
		a, err := renderOne(t, m)
		if err != nil {
			return fmt.Errorf("%s: send %s: %w", l.c.name, m.Kind, err)
		}
		args = append(args, a)
	}
	var env []string
	if m.Kind == ecr.Sale {
		keys := make([]string, 0, len(ps.Env))
		for k := range ps.Env {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, err := renderOne(ps.Env[k], m)
			if err != nil {
				return fmt.Errorf("%s: send %s: %w", l.c.name, m.Kind, err)
			}
			env = append(env, k+"="+v)
		}
	}
	if err := ctx.Err(); err != nil {
		return l.c.timeout(ctx, "send "+string(m.Kind))
	}
	l.mu.Lock()
	busy := l.cur != nil
	l.mu.Unlock()
	if busy {
		l.c.tap(TapNote, fmt.Sprintf("%s while the program of the last sale still runs: BUSY synthesized", m.Kind))
		l.c.enqueue(ecr.Message{Kind: ecr.Busy, Fields: []ecr.Field{{Key: "synthesized", Value: "1"}}})
		return nil
	}
	l.c.tap(TapOut, maskSent(m.Kind, fmt.Sprintf("start program: %s %s", strings.Join(args, " "), strings.Join(env, " "))))
	prog, err := l.start(args, env)
	if err != nil {
		return fmt.Errorf("%s: send %s: %w", l.c.name, m.Kind, err)
	}
	stdin, output := prog.Pipes()
	ended := make(chan struct{})
	l.mu.Lock()
	if l.c.ctx.Err() != nil {
		l.mu.Unlock()
		prog.Kill()
		closePipes(stdin, output)
		return fmt.Errorf("%s: send %s: %w", l.c.name, m.Kind, ErrClosed)
	}
	cur := &perSale{prog: prog, fin: make(chan struct{})}
	l.cur = cur
	l.stdin, l.output, l.gate = stdin, output, make(chan struct{}, 1)
	l.mu.Unlock()
	var endOnce sync.Once
	l.c.stream(output.Read, func(error) { endOnce.Do(func() { close(ended) }) })
	l.c.wg.Add(1)
	go func() {
		defer l.c.wg.Done()
		l.finish(cur, ended, &endOnce)
	}()
	return nil
}

// finish waits for the program to end and its output to be read, then
// reports its result (when its output gave none) and READY.
func (l *ProcessLink) finish(cur *perSale, ended chan struct{}, endOnce *sync.Once) {
	defer close(cur.fin)
	select {
	case <-cur.prog.Done():
	case <-l.c.ctx.Done():
		cur.prog.Kill()
	}
	// Output still open after the program ended (a child holds it): give
	// it a moment, then close it so the reader ends.
	select {
	case <-ended:
	case <-l.c.ctx.Done(): // Close: it closes the pipes, the readers end
		return
	case <-time.After(time.Second):
		l.mu.Lock()
		closePipes(l.stdin, l.output)
		l.mu.Unlock()
		select {
		case <-ended:
		case <-time.After(closeWait):
			endOnce.Do(func() { close(ended) })
		}
	}
	l.mu.Lock()
	l.cur = nil
	in := l.stdin
	l.stdin = nil
	killed := cur.killed
	l.mu.Unlock()
	if in != nil {
		_ = in.Close()
	}
	if l.c.ctx.Err() != nil {
		return
	}
	status, how := exitStatus(cur.prog.Err())
	if killed {
		l.c.tap(TapNote, "the program was killed (power cut): "+how)
		return
	}
	l.c.tap(TapNote, "the program ended: "+how)
	if !cur.result {
		if m, ok := l.resultOf(cur, status); ok {
			l.c.enqueue(m)
		} else {
			l.c.tap(TapNote, "no result: its output gave no RESULT, its last line is not a result (last_line) and its exit status is not in exit_codes")
		}
	}
	l.idle("after the program ended")
}

// resultOf makes the RESULT of a program that printed none: from its last
// line, else from its exit status.
func (l *ProcessLink) resultOf(cur *perSale, status int) (ecr.Message, bool) {
	p := l.c.prof
	if re := p.PerSale.LastLine; re != nil && re.re != nil && cur.last != "" {
		if sub := re.re.FindStringSubmatchIndex(cur.last); sub != nil {
			m := p.message(Rule{Match: *re, Kind: Kind(ecr.Result)}, cur.last, sub)
			l.c.tap(TapNote, "RESULT read from the program's last line (last_line)")
			return m.With("exit", strconv.Itoa(status)), true
		}
	}
	code, ok := p.PerSale.ExitCodes[status]
	if !ok || status < 0 {
		return ecr.Message{}, false
	}
	m := ecr.Message{Kind: ecr.Result}.With("dut_code", code).With("exit", strconv.Itoa(status))
	if c, ok := p.Codes[code]; ok {
		m = m.With("code", string(c))
	} else {
		m = m.With(UnmappedField, code)
		l.c.tap(TapNote, fmt.Sprintf("%s has no canonical code for the firmware's code %q (exit status %d)", p, code, status))
	}
	l.c.tap(TapNote, fmt.Sprintf("RESULT from exit status %d (exit_codes)", status))
	return m, true
}

// exitStatus is a program's exit status (-1 when a signal ended it) and a
// description.
func exitStatus(err error) (int, string) {
	if err == nil {
		return 0, "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if st := ee.ExitCode(); st >= 0 {
			return st, fmt.Sprintf("exit status %d", st)
		}
		return -1, ee.String()
	}
	return -1, err.Error()
}
