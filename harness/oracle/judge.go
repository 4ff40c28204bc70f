package oracle

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// ErrUnmet is wrapped by every Failure: the terminal did not do what the
// scenario expects (a FAIL, not a bench error or bad input).
var ErrUnmet = errors.New("expectation not met")

// Failure is one expectation the log does not meet.
type Failure struct {
	// Pos is where the expectation is written in the scenario file.
	Pos yamldoc.Pos
	// Check names the expectation: expect.outcome, expect.never, ...
	Check string
	// Msg says what the terminal did instead, quoting its reports.
	Msg string
}

func (f *Failure) Error() string { return f.Pos.String() + ": " + f.Check + ": " + f.Msg }

// Unwrap makes every Failure an ErrUnmet.
func (f *Failure) Unwrap() error { return ErrUnmet }

// Failures is every expectation a log does not meet, most basic first
// (one result per sale, never, then the final result and the rest).
type Failures []*Failure

func (fs Failures) Error() string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.Error()
	}
	return strings.Join(s, "; ")
}

// Unwrap lets errors.Is and errors.As see each Failure.
func (fs Failures) Unwrap() []error {
	out := make([]error, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}

// err is fs as an error, nil when empty.
func (fs Failures) err() error {
	if len(fs) == 0 {
		return nil
	}
	return fs
}

// judge carries one judgement.
type judge struct {
	file  string
	exp   *scenario.Expect
	log   Log
	start time.Time
	fails Failures
}

func newJudge(file string, exp *scenario.Expect, l Log) *judge {
	j := &judge{file: file, exp: exp, log: l, start: l.Start}
	if j.start.IsZero() && len(l.Entries) > 0 {
		j.start = l.ordered()[0].At
	}
	return j
}

// fail records a failure at p (line:col in the scenario file).
func (j *judge) fail(p yamldoc.Pos, check, format string, args ...any) {
	p.File = j.file
	j.fails = append(j.fails, &Failure{Pos: p, Check: check, Msg: fmt.Sprintf(format, args...)})
}

func (j *judge) quote(e Entry) string { return quoteEntry(e, j.start) }

// Hold judges what must hold over the whole scenario, whatever the final
// result: no sale has two RESULTs, and no report carries a code listed
// under never. The runner calls it again on the log it has at the safe
// state, for reports that came after Judge.
func Hold(file string, exp *scenario.Expect, l Log) error {
	j := newJudge(file, exp, l)
	j.oneResult()
	j.never()
	j.panRule()
	j.plainTCP()
	return j.fails.err()
}

// Judge judges the log against every expectation: Hold, then the final
// result of the last sale (outcome, tries_left, fields, within),
// max_retransmits and host. It returns nil or Failures.
func Judge(file string, exp *scenario.Expect, l Log) error {
	j := newJudge(file, exp, l)
	j.oneResult()
	j.never()
	j.final()
	j.retransmits()
	j.host()
	j.cardNumber()
	j.panRule()
	j.receipts()
	j.plainTCP()
	return j.fails.err()
}

// oneResult: a sale gets one RESULT. A second is a FAIL that quotes both.
func (j *judge) oneResult() {
	for _, s := range j.log.Sales() {
		if len(s.Results) < 2 {
			continue
		}
		at := s.Request.Step
		if at.Line == 0 {
			at = j.exp.At.Outcome
		}
		q := make([]string, len(s.Results))
		for i, r := range s.Results {
			q[i] = j.quote(r)
		}
		j.fail(at, "one result per sale", "%s got %d RESULTs: %s (a sale ends once; a second RESULT is a second answer to the same sale)",
			s.name(), len(s.Results), strings.Join(q, ", then "))
	}
}

// never: no EVENT or RESULT, at any time, carries a forbidden code. The
// report before the first offending one is quoted too, for context.
func (j *judge) never() {
	if len(j.exp.Never) == 0 {
		return
	}
	type hit struct {
		e, before Entry
		hasBefore bool
		n         int
	}
	hits := map[outcome.Code]*hit{}
	var prev *Entry
	for _, e := range j.log.ordered() {
		if !isReport(e) {
			continue
		}
		code, _ := e.Msg.Get("code")
		if c := outcome.Code(code); slices.Contains(j.exp.Never, c) {
			if hits[c] == nil {
				h := &hit{e: e}
				if prev != nil {
					h.before, h.hasBefore = *prev, true
				}
				hits[c] = h
			}
			hits[c].n++
		}
		prev = &e
	}
	for i, c := range j.exp.Never {
		h := hits[c]
		if h == nil {
			continue
		}
		msg := fmt.Sprintf("the terminal reported %s, which this scenario forbids: %s", c, j.quote(h.e))
		if h.hasBefore {
			msg += ", after " + j.quote(h.before)
		}
		if h.n > 1 {
			msg += fmt.Sprintf(" (%d reports in all)", h.n)
		}
		j.fail(j.exp.At.NeverAt(i), "expect.never", "%s", msg)
		delete(hits, c) // a code listed twice is reported once
	}
}

// final judges the last sale's final result: outcome, tries, fields, time.
func (j *judge) final() {
	exp := j.exp
	sales := j.log.Sales()
	s := sales[len(sales)-1]
	res, ok := s.Final()
	if !ok {
		j.fail(exp.At.Outcome, "expect.outcome", "expected %s as the final result of %s; the terminal reported no RESULT",
			expected(exp.Outcome, exp.TriesLeft), s.name())
		return
	}
	code, _ := res.Msg.Get("code")
	if code != string(exp.Outcome) {
		j.fail(exp.At.Outcome, "expect.outcome", "expected %s as the final result of %s, got %s",
			expected(exp.Outcome, exp.TriesLeft), s.name(), j.quote(res))
	}
	if want := exp.TriesLeft; want != nil {
		switch got, has := res.Msg.Get("tries"); {
		case !has:
			j.fail(exp.At.TriesLeft, "expect.tries_left", "expected %d tries left, the terminal reported %s without tries", *want, j.quote(res))
		case got != strconv.Itoa(*want):
			j.fail(exp.At.TriesLeft, "expect.tries_left", "expected %d tries left, got %s", *want, got)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(exp.Fields)) {
		if got, _ := res.Msg.Get(k); got != exp.Fields[k] {
			j.fail(exp.At.FieldAt(k), "expect.fields", "expected RESULT %s=%s, got %s=%q", k, exp.Fields[k], k, got)
		}
	}
	if exp.Within > 0 && !j.log.Start.IsZero() {
		if took := res.At.Sub(j.log.Start); took > exp.Within {
			j.fail(exp.At.Within, "expect.within", "the final result %s came after %v, limit %v", code, took.Round(time.Millisecond), exp.Within)
		}
	}
}

// retransmits bounds the frames the DUT sent again.
func (j *judge) retransmits() {
	if m := j.exp.MaxRetransmits; m != nil && j.log.Retransmits > *m {
		j.fail(j.exp.At.MaxRetransmits, "expect.max_retransmits",
			"the terminal sent %d ECR frame(s) again (duplicates), at most %d expected", j.log.Retransmits, *m)
	}
}

// host compares what the emulated host received with expect.host.
func (j *judge) host() {
	want := j.exp.Host
	if want == nil {
		return
	}
	at := j.exp.At
	h := j.log.Host
	if h == nil {
		j.fail(at.Host, "expect.host", "no host journal to judge (the bench has no emulated host)")
		return
	}
	count := func(mtis ...string) int {
		n := 0
		for _, m := range h.In {
			if slices.Contains(mtis, m) {
				n++
			}
		}
		return n
	}
	if want.Requests != nil {
		if got := count("0100", "0200"); got != *want.Requests {
			j.fail(at.Requests, "expect.host.requests", "expected the host to receive %d authorisation request(s), got %d", *want.Requests, got)
		}
	}
	if want.Reversals != nil {
		if got := count("0400", "0420"); got != *want.Reversals {
			j.fail(at.Reversals, "expect.host.reversals", "expected the host to receive %d reversal(s), got %d", *want.Reversals, got)
		}
	}
	if want.Net != nil && h.Net != nil && *h.Net != *want.Net {
		j.fail(at.Net, "expect.host.net", "expected the card's net debit on the host to be %d, got %d (debits and reversals do not match)", *want.Net, *h.Net)
	}
}

// expected renders an expected code, with its tries.
func expected(code outcome.Code, tries *int) string {
	if tries != nil {
		return fmt.Sprintf("%s with %d tries left", code, *tries)
	}
	return string(code)
}
