package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/scenario"
)

// finalResult is the first RESULT of the scenario; when the line lost it,
// the answer to a LAST query stands in (the ECR's way to learn the truth).
func (ru *run) finalResult() (observed, bool) {
	var answer *observed
	for _, o := range ru.sess.all() {
		if o.msg.Kind != ecr.Result {
			continue
		}
		if last, _ := o.msg.Get("last"); last != "1" {
			return o, true
		}
		if answer == nil {
			answer = &o
		}
	}
	if answer != nil {
		return *answer, true
	}
	return observed{}, false
}

// finalCode is the final outcome reported so far, for the record.
func (ru *run) finalCode() string {
	if ru.sess == nil {
		return ""
	}
	if o, ok := ru.finalResult(); ok {
		code, _ := o.msg.Get("code")
		return code
	}
	return ""
}

// checkFinal waits for the transaction's RESULT and checks every final
// expectation: outcome, tries, time limit, forbidden codes, host record.
func (ru *run) checkFinal(ctx context.Context) (string, error) {
	exp := ru.sc.Expect
	from := 0
	askedLast := slices.ContainsFunc(ru.sc.Steps, func(st scenario.Step) bool { return st.Last != nil })
	_, err := ru.sess.waitFor(ctx, &from, "RESULT", func(m ecr.Message) (bool, error) {
		last, _ := m.Get("last")
		return m.Kind == ecr.Result && (last != "1" || askedLast), nil
	})
	if err != nil {
		return "", ru.dutError(fmt.Errorf("expected %s: %w", expectedText(exp.Outcome, exp.TriesLeft), err))
	}
	res, _ := ru.finalResult()
	code, _ := res.msg.Get("code")
	if err := ru.checkNever(); err != nil {
		return code, err
	}
	if code != string(exp.Outcome) {
		return code, fmt.Errorf("expected outcome %s, got %s", expectedText(exp.Outcome, exp.TriesLeft), reportText(res.msg))
	}
	if err := checkTries(exp.TriesLeft, res.msg); err != nil {
		return code, err
	}
	for _, k := range slices.Sorted(maps.Keys(exp.Fields)) {
		if got, _ := res.msg.Get(k); got != exp.Fields[k] {
			return code, fmt.Errorf("expected RESULT %s=%s, got %s=%q", k, exp.Fields[k], k, got)
		}
	}
	if exp.Within > 0 && !ru.firstAt.IsZero() {
		if took := res.at.Sub(ru.firstAt); took > exp.Within {
			return code, fmt.Errorf("outcome %s came after %v, limit %v", code, took.Round(time.Millisecond), exp.Within)
		}
	}
	if m := exp.MaxRetransmits; m != nil {
		if got := ru.dupes.Load(); got > int64(*m) {
			return code, fmt.Errorf("the terminal sent %d ECR frame(s) again (duplicates), at most %d expected", got, *m)
		}
	}
	if exp.Host != nil {
		if err := ru.checkHost(ctx); err != nil {
			return code, err
		}
	}
	return code, nil
}

// checkNever fails if the DUT reported a forbidden code at any time.
func (ru *run) checkNever() error {
	for _, o := range ru.sess.all() {
		if o.msg.Kind != ecr.Event && o.msg.Kind != ecr.Result {
			continue
		}
		code, _ := o.msg.Get("code")
		if slices.Contains(ru.sc.Expect.Never, outcome.Code(code)) {
			return fmt.Errorf("the terminal reported %s, which this scenario forbids (never: %v)", code, ru.sc.Expect.Never)
		}
	}
	return nil
}

// tapText renders line-level trouble worth a transcript line; good frames
// and ACKs are already in the transcript as messages. Tap events come
// redacted (no KEY digits).
func tapText(ev ecr.TapEvent) string {
	switch ev.Kind {
	case ecr.TapFrame, ecr.TapAck:
		return ""
	}
	s := fmt.Sprintf("%s %s", ev.Dir, ev.Kind)
	if ev.Msg != nil {
		s += " " + describe(*ev.Msg)
	}
	if ev.Err != nil {
		s += ": " + ev.Err.Error()
	}
	return s
}

// checkHost compares what the emulated host received with expect.host.
// When reversals are expected the DUT may send them after its RESULT, so
// the check waits for them until the scenario's deadline.
func (ru *run) checkHost(ctx context.Context) error {
	want := ru.sc.Expect.Host
	host := ru.rig.host
	count := func(mtis ...string) int {
		n := 0
		for _, r := range host.Journal() {
			if r.Dir == acquirer.In && r.Txn != nil && slices.Contains(mtis, r.Txn.MTI) {
				n++
			}
		}
		return n
	}
	// A reversal is expected: give the DUT until the deadline to send it.
	if want.Reversals != nil && *want.Reversals > 0 {
		within := want.Within
		if within == 0 {
			within = 5 * time.Second
		}
		wctx, cancel := context.WithTimeout(ctx, within)
		defer cancel()
		_, _ = host.Wait(wctx, func(r acquirer.Record) bool {
			return r.Dir == acquirer.In && r.Txn != nil && r.Txn.MTI == "0400" && count("0400") >= *want.Reversals
		})
	}
	if want.Requests != nil {
		if got := count("0100", "0200"); got != *want.Requests {
			return fmt.Errorf("expected the host to receive %d authorisation request(s), got %d", *want.Requests, got)
		}
	}
	if want.Reversals != nil {
		if got := count("0400", "0420"); got != *want.Reversals {
			return fmt.Errorf("expected the host to receive %d reversal(s), got %d", *want.Reversals, got)
		}
	}
	if want.Net != nil && ru.profile != nil {
		if got := host.Net(ru.profile.PAN); got != *want.Net {
			return fmt.Errorf("expected the card's net debit on the host to be %d, got %d (debits and reversals do not match)", *want.Net, got)
		}
	}
	return nil
}

// finalResultIfAny is finalResult for the evidence: safe before the
// session exists.
func (ru *run) finalResultIfAny() (observed, bool) {
	if ru.sess == nil {
		return observed{}, false
	}
	return ru.finalResult()
}
