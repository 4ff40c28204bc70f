package oracle

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/scenario"
)

// late is a scenario whose expectations sit at known places:
//
//	line 5 col 5: the sale step; line 9 col 12: outcome; line 10 col 11:
//	never[0], col 21: never[1]; line 11 col 15: tries_left; line 12 col
//	11: within; line 13 col 20: max_retransmits; line 14 col 19: fields.entry;
//	line 16 col 15: requests; line 17 col 16: reversals; line 18 col 10:
//	net.
const late = `name: late approval
card: visa-credit
labels: [network]
steps:
  - sale: 12.50
  - insert: chip
  - pin: correct
expect:
  outcome: HOST_TIMEOUT
  never: [APPROVED, CANCELLED]
  tries_left: 3
  within: 5s
  max_retransmits: 1
  fields: {entry: chip}
  host:
    requests: 1
    reversals: 1
    net: 0
`

func load(t *testing.T, doc string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("late.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// script builds a log: a SALE sent by the step at 5:5, then the DUT's
// messages, each d after the start.
type script struct {
	t0  time.Time
	log Log
}

func newScript() *script {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := &script{t0: t0}
	s.log.Start = t0
	zero := int64(0)
	s.log.Host = &Host{In: []string{"0200", "0400"}, Net: &zero}
	return s
}

func (s *script) sale(d time.Duration, ref string, line, col int) *script {
	m := ecr.Message{Kind: ecr.Sale}.With("amount", "1250").With("ref", ref)
	e := Entry{At: s.t0.Add(d), Dir: ToDUT, Msg: m}
	e.Step.Line, e.Step.Col = line, col
	s.log.Entries = append(s.log.Entries, e)
	return s
}

func (s *script) dut(d time.Duration, kind ecr.Kind, kv ...string) *script {
	m := ecr.Message{Kind: kind}
	for i := 0; i+1 < len(kv); i += 2 {
		m = m.With(kv[i], kv[i+1])
	}
	s.log.Entries = append(s.log.Entries, Entry{At: s.t0.Add(d), Dir: FromDUT, Msg: m})
	return s
}

// good is a log that meets every expectation of late.
func good() *script {
	return newScript().sale(0, "P1", 5, 5).
		dut(time.Second, ecr.Display, "text", "ENTER PIN").
		dut(3*time.Second, ecr.Result, "code", "HOST_TIMEOUT", "ref", "P1", "tries", "3", "entry", "chip", "pan", "476173******0010")
}

func failures(t *testing.T, err error) Failures {
	t.Helper()
	var fs Failures
	if !errors.As(err, &fs) {
		t.Fatalf("want Failures, got %v", err)
	}
	if !errors.Is(err, ErrUnmet) {
		t.Errorf("a failure must be ErrUnmet: %v", err)
	}
	return fs
}

// find returns the failure of check, or fails the test.
func find(t *testing.T, fs Failures, check string) *Failure {
	t.Helper()
	for _, f := range fs {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no %s failure in %v", check, fs)
	return nil
}

func TestGoodLogPasses(t *testing.T) {
	sc := load(t, late)
	if err := Judge(sc.File, &sc.Expect, good().log); err != nil {
		t.Fatalf("a log that meets every expectation failed: %v", err)
	}
}

func TestApprovedAfterHostTimeoutFails(t *testing.T) {
	sc := load(t, late)
	l := good().dut(3300*time.Millisecond, ecr.Result, "code", "APPROVED", "ref", "P1", "tries", "3", "entry", "chip").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	never := find(t, fs, "expect.never")
	if never.Pos.String() != "late.yaml:10:11" {
		t.Errorf("never failure at %v, want late.yaml:10:11 (never[0])", never.Pos)
	}
	if !strings.Contains(never.Msg, "forbids: RESULT code=APPROVED tries=3 ref=P1") || !strings.Contains(never.Msg, "after RESULT code=HOST_TIMEOUT") {
		t.Errorf("never failure does not quote the approval and what came before: %s", never.Msg)
	}
	dup := find(t, fs, "one result per sale")
	if dup.Pos.String() != "late.yaml:5:5" {
		t.Errorf("duplicate failure at %v, want the sale step late.yaml:5:5", dup.Pos)
	}
	out := find(t, fs, "expect.outcome")
	if out.Pos.String() != "late.yaml:9:12" || !strings.Contains(out.Msg, "got RESULT code=APPROVED") {
		t.Errorf("outcome must judge the final RESULT (APPROVED), at 9:12: %v", out)
	}
	if strings.Contains(fs.Error(), "476173") {
		t.Errorf("a verdict quotes card data: %s", fs.Error())
	}
}

func TestApprovedAfterHostTimeoutEventFails(t *testing.T) {
	// An EVENT is not a second RESULT, but never still sees it.
	sc := load(t, late)
	l := good().dut(3300*time.Millisecond, ecr.Event, "code", "APPROVED").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	if len(fs) != 1 || fs[0].Check != "expect.never" || fs[0].Pos.String() != "late.yaml:10:11" {
		t.Fatalf("want one never failure at 10:11, got %v", fs)
	}
}

func TestApprovedAfterCancelledFails(t *testing.T) {
	doc := strings.Replace(late, "never: [APPROVED, CANCELLED]", "never: [DECLINED, APPROVED]", 1)
	doc = strings.Replace(doc, "outcome: HOST_TIMEOUT", "outcome: CANCELLED", 1)
	sc := load(t, doc)
	for name, s := range map[string]*script{
		"result then result": newScript().sale(0, "P1", 5, 5).
			dut(time.Second, ecr.Result, "code", "CANCELLED", "ref", "P1", "tries", "3", "entry", "chip").
			dut(1300*time.Millisecond, ecr.Result, "code", "APPROVED", "ref", "P1", "tries", "3", "entry", "chip"),
		"event then result": newScript().sale(0, "P1", 5, 5).
			dut(time.Second, ecr.Event, "code", "CANCELLED").
			dut(1300*time.Millisecond, ecr.Result, "code", "APPROVED", "ref", "P1", "tries", "3", "entry", "chip"),
	} {
		t.Run(name, func(t *testing.T) {
			fs := failures(t, Judge(sc.File, &sc.Expect, s.log))
			never := find(t, fs, "expect.never")
			if never.Pos.String() != "late.yaml:10:21" {
				t.Errorf("never failure at %v, want late.yaml:10:21 (never[1], APPROVED)", never.Pos)
			}
			if !strings.Contains(never.Msg, "after "+string(s.log.Entries[1].Msg.Kind)+" code=CANCELLED") {
				t.Errorf("never failure does not quote the cancellation before it: %s", never.Msg)
			}
		})
	}
}

func TestTwoResultsForOneSaleQuotesBoth(t *testing.T) {
	sc := load(t, strings.Replace(late, "never: [APPROVED, CANCELLED]", "never: [DECLINED]", 1))
	l := good().dut(3200*time.Millisecond, ecr.Result, "code", "HOST_TIMEOUT", "ref", "P1", "tries", "3", "entry", "chip").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	if len(fs) != 1 {
		t.Fatalf("want exactly the duplicate failure, got %v", fs)
	}
	f := fs[0]
	if f.Check != "one result per sale" || f.Pos.String() != "late.yaml:5:5" {
		t.Errorf("got %v", f)
	}
	for _, q := range []string{"RESULT code=HOST_TIMEOUT tries=3 ref=P1 entry=chip at +3s", "RESULT code=HOST_TIMEOUT tries=3 ref=P1 entry=chip at +3.2s", "sale P1 got 2 RESULTs"} {
		if !strings.Contains(f.Msg, q) {
			t.Errorf("failure does not quote %q: %s", q, f.Msg)
		}
	}
	// Hold judges the same, without the final result.
	if err := Hold(sc.File, &sc.Expect, l); err == nil || !strings.Contains(err.Error(), "late.yaml:5:5: one result per sale") {
		t.Errorf("Hold = %v", err)
	}
}

func TestResultIsAttributedByRef(t *testing.T) {
	// A RESULT naming P1 after P2 was sent is P1's second RESULT, though
	// it came during P2.
	sc := load(t, strings.Replace(late, "never: [APPROVED, CANCELLED]", "never: [DECLINED]", 1))
	l := good().sale(4*time.Second, "P2", 20, 5).
		dut(4200*time.Millisecond, ecr.Result, "code", "APPROVED", "ref", "P1").
		dut(4500*time.Millisecond, ecr.Result, "code", "HOST_TIMEOUT", "ref", "P2", "tries", "3", "entry", "chip").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	if len(fs) != 1 || fs[0].Pos.String() != "late.yaml:5:5" || !strings.Contains(fs[0].Msg, "sale P1 got 2") {
		t.Fatalf("want P1's duplicate only, got %v", fs)
	}
}

func TestResultWithoutRefBelongsToTheLatestSale(t *testing.T) {
	sc := load(t, strings.Replace(late, "never: [APPROVED, CANCELLED]", "never: [DECLINED]", 1))
	l := newScript().sale(0, "P1", 5, 5).
		dut(time.Second, ecr.Result, "code", "APPROVED").
		sale(2*time.Second, "P2", 20, 5).
		dut(3*time.Second, ecr.Result, "code", "HOST_TIMEOUT", "tries", "3", "entry", "chip").log
	if err := Judge(sc.File, &sc.Expect, l); err != nil {
		t.Fatalf("one RESULT per sale, the last one HOST_TIMEOUT: %v", err)
	}
	l = newScript().sale(0, "P1", 5, 5).
		sale(2*time.Second, "P2", 20, 5).
		dut(3*time.Second, ecr.Result, "code", "HOST_TIMEOUT", "tries", "3", "entry", "chip").
		dut(4*time.Second, ecr.Result, "code", "APPROVED").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	if f := find(t, fs, "one result per sale"); f.Pos.String() != "late.yaml:20:5" {
		t.Errorf("duplicate of P2 at %v, want its step 20:5", f.Pos)
	}
}

func TestOutcomeIsTheFinalResultOfTheLastSale(t *testing.T) {
	sc := load(t, strings.Replace(late, "never: [APPROVED, CANCELLED]", "never: [DECLINED]", 1))
	// The first sale ends HOST_TIMEOUT (what expect.outcome wants), the
	// last one APPROVED: the last sale is judged.
	l := good().sale(4*time.Second, "P2", 20, 5).
		dut(5*time.Second, ecr.Result, "code", "APPROVED", "ref", "P2", "tries", "3", "entry", "chip").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	if len(fs) != 1 || fs[0].Check != "expect.outcome" || !strings.Contains(fs[0].Msg, "final result of sale P2, got RESULT code=APPROVED") {
		t.Fatalf("want the last sale's outcome judged, got %v", fs)
	}
}

func TestAnswerToLastIsNotASecondResult(t *testing.T) {
	sc := load(t, late)
	l := good().dut(4*time.Second, ecr.Result, "code", "HOST_TIMEOUT", "ref", "P1", "tries", "3", "entry", "chip", "last", "1").log
	if err := Judge(sc.File, &sc.Expect, l); err != nil {
		t.Fatalf("an answer to LAST was taken for a second result: %v", err)
	}
}

func TestAnswerToLastStandsInForALostResult(t *testing.T) {
	sc := load(t, late)
	l := newScript().sale(0, "P1", 5, 5).
		dut(4*time.Second, ecr.Result, "code", "HOST_TIMEOUT", "ref", "P1", "tries", "3", "entry", "chip", "last", "1").log
	if err := Judge(sc.File, &sc.Expect, l); err != nil {
		t.Fatalf("the answer to LAST must stand in for the lost RESULT: %v", err)
	}
	// A lying answer is judged as the final result.
	l = newScript().sale(0, "P1", 5, 5).
		dut(4*time.Second, ecr.Result, "code", "DECLINED", "ref", "P1", "tries", "3", "entry", "chip", "last", "1").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	if f := find(t, fs, "expect.outcome"); !strings.Contains(f.Msg, "got RESULT code=DECLINED") {
		t.Errorf("got %v", f)
	}
}

func TestNoResult(t *testing.T) {
	sc := load(t, late)
	l := newScript().sale(0, "P1", 5, 5).dut(time.Second, ecr.Event, "code", "HOST_TIMEOUT").log
	fs := failures(t, Judge(sc.File, &sc.Expect, l))
	if f := find(t, fs, "expect.outcome"); f.Pos.String() != "late.yaml:9:12" || !strings.Contains(f.Msg, "no RESULT") {
		t.Errorf("got %v", f)
	}
}

// TestEachCheckNamesItsPlace breaks one expectation at a time and wants
// that check, at its own file:line:col.
func TestEachCheckNamesItsPlace(t *testing.T) {
	sc := load(t, late)
	tests := []struct {
		name, check, pos, msg string
		edit                  func(s *script)
	}{
		{"outcome", "expect.outcome", "late.yaml:9:12", "got RESULT code=DECLINED", func(s *script) { set(s, "code", "DECLINED") }},
		{"tries", "expect.tries_left", "late.yaml:11:15", "expected 3 tries left, got 2", func(s *script) { set(s, "tries", "2") }},
		{"no tries", "expect.tries_left", "late.yaml:11:15", "without tries", func(s *script) { drop(s, "tries") }},
		{"fields", "expect.fields", "late.yaml:14:19", `expected RESULT entry=chip, got entry="swipe"`, func(s *script) { set(s, "entry", "swipe") }},
		{"within", "expect.within", "late.yaml:12:11", "came after 6s, limit 5s", func(s *script) { last(s).At = s.t0.Add(6 * time.Second) }},
		{"retransmits", "expect.max_retransmits", "late.yaml:13:20", "sent 2 ECR frame(s) again", func(s *script) { s.log.Retransmits = 2 }},
		{"requests", "expect.host.requests", "late.yaml:16:15", "receive 1 authorisation request(s), got 2", func(s *script) { s.log.Host.In = append(s.log.Host.In, "0100") }},
		{"reversals", "expect.host.reversals", "late.yaml:17:16", "1 reversal(s), got 0", func(s *script) { s.log.Host.In = s.log.Host.In[:1] }},
		{"net", "expect.host.net", "late.yaml:18:10", "to be 0, got 1250", func(s *script) { n := int64(1250); s.log.Host.Net = &n }},
		{"no host", "expect.host", "late.yaml:15:3", "no host journal", func(s *script) { s.log.Host = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good()
			tt.edit(s)
			fs := failures(t, Judge(sc.File, &sc.Expect, s.log))
			if len(fs) != 1 {
				t.Fatalf("want one failure, got %v", fs)
			}
			f := fs[0]
			if f.Check != tt.check || f.Pos.String() != tt.pos || !strings.Contains(f.Msg, tt.msg) {
				t.Errorf("got %v (%s), want %s at %s saying %q", f, f.Check, tt.check, tt.pos, tt.msg)
			}
			if !strings.HasPrefix(f.Error(), tt.pos+": "+tt.check+": ") {
				t.Errorf("Error() = %q", f.Error())
			}
		})
	}
}

func last(s *script) *Entry { return &s.log.Entries[len(s.log.Entries)-1] }

func set(s *script, k, v string) { last(s).Msg = last(s).Msg.With(k, v) }

func drop(s *script, k string) {
	m := last(s).Msg
	var fs []ecr.Field
	for _, f := range m.Fields {
		if f.Key != k {
			fs = append(fs, f)
		}
	}
	last(s).Msg.Fields = fs
}

func TestMatrixVariantOutcomeIsJudgedAtItsPlace(t *testing.T) {
	doc := late + "matrix:\n  - {card: mc-debit}\n  - {card: visa-credit, outcome: DECLINED}\n"
	sc := load(t, doc)
	vs := sc.Expand()
	fs := failures(t, Judge(vs[1].File, &vs[1].Expect, good().log))
	if f := find(t, fs, "expect.outcome"); f.Pos.String() != "late.yaml:21:34" {
		t.Errorf("variant outcome failure at %v, want the variant's outcome late.yaml:21:34", f.Pos)
	}
	fs = failures(t, Judge(vs[0].File, &vs[0].Expect, newScript().sale(0, "P1", 5, 5).log))
	if f := find(t, fs, "expect.outcome"); f.Pos.String() != "late.yaml:9:12" {
		t.Errorf("a variant that keeps the outcome is judged at expect.outcome, got %v", f.Pos)
	}
}
