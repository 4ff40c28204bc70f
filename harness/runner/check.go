package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/oracle"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// defaultReversalWait bounds the wait for expected reversals after the
// final result when expect.host names no within.
const defaultReversalWait = 5 * time.Second

// pending is a part of the bench that may still act on its own after the
// final result: the emulated host holding a late response, a fault whose
// timed Clear releases what it held. PendingUntil is the zero time when
// nothing is due.
type pending interface {
	PendingUntil() time.Time
}

// log is everything the oracle judges, as it stands now.
func (ru *run) log() oracle.Log {
	l := oracle.Log{Start: ru.firstAt, Retransmits: int(ru.dupes.Load())}
	if ru.sess != nil {
		l.Entries = ru.sess.entries()
	}
	l.Receipts = ru.receipts()
	if ru.profile != nil {
		l.PAN = ru.profile.PAN
	}
	if host := ru.rig.host; host != nil {
		h := &oracle.Host{}
		for _, r := range host.Journal() {
			if r.Dir == acquirer.In && r.Txn != nil {
				h.In = append(h.In, r.Txn.MTI)
				if r.Txn.MTI == "0100" || r.Txn.MTI == "0200" {
					h.PANs = append(h.PANs, r.Txn.CardPAN())
				}
			}
		}
		if ru.profile != nil {
			net := host.Net(ru.profile.PAN)
			h.Net = &net
		}
		h.Plain, h.TLS = ru.rig.plainTCP()
		l.Host = h
	}
	return l
}

// finalResult is the final result of the scenario's last sale so far (see
// oracle.Sale.Final).
func (ru *run) finalResult() (observed, bool) {
	e, ok := ru.log().Final()
	return observed{at: e.At, msg: e.Msg}, ok
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

// checkFinal waits for the final result of the last sale, keeps listening
// through the settle window, then judges the whole conversation (see
// package oracle): one RESULT per sale, never, outcome, tries, fields,
// time limit, retransmissions, host record.
func (ru *run) checkFinal(ctx context.Context) (string, error) {
	exp := &ru.sc.Expect
	askedLast := slices.ContainsFunc(ru.sc.Steps, func(st scenario.Step) bool { return st.Last != nil })
	err := ru.sess.waitLog(ctx, "RESULT", func(es []oracle.Entry) bool {
		sales := oracle.Log{Entries: es}.Sales()
		s := sales[len(sales)-1]
		return len(s.Results) > 0 || (askedLast && len(s.Answers) > 0)
	})
	if err != nil {
		err = ru.dutError(fmt.Errorf("expected %s: %w", expectedText(exp.Outcome, exp.TriesLeft), err))
		if errors.Is(err, verdict.ErrBench) {
			return ru.finalCode(), err
		}
		// What must hold whatever the end still holds: quote it too.
		return ru.finalCode(), errors.Join(err, oracle.Hold(ru.sc.File, exp, ru.log()))
	}
	res, _ := ru.finalResult()
	ru.waitReversals(ctx)
	ru.settle(ctx, res.at)
	l := ru.log()
	final, _ := l.Final()
	code, _ := final.Msg.Get("code")
	return code, oracle.Judge(ru.sc.File, exp, l)
}

// settle keeps the conversation open after the final result: until every
// part of the bench that may still act on its own has (a late host
// response, a fault's timed Clear), then through the settle window, so a
// report that comes late is judged with the rest.
func (ru *run) settle(ctx context.Context, from time.Time) {
	var parts []pending
	if ru.rig.host != nil {
		parts = append(parts, ru.rig.host)
	}
	if ru.sched != nil {
		parts = append(parts, ru.sched)
	}
	window := ru.sc.Expect.SettleWindow()
	start := time.Now()
	// Positive proof that nothing more can happen ends the window early;
	// without it the window runs to its end.
	quiet := from
	for _, p := range parts {
		if t := p.PendingUntil(); t.After(quiet) {
			quiet = t
		}
	}
	qctx, cancel := context.WithDeadline(ctx, quiet.Add(window))
	why := ru.proveQuiet(qctx, from)
	cancel()
	if why == nil {
		ru.rec.add("poshil", fmt.Sprintf("settled %v after the final result: the card is out, the terminal said READY, the host has nothing in flight, no fault is due (window %v)",
			time.Since(from).Round(time.Millisecond), window))
		return
	}
	timerAt := time.Now()
	err := settleUntil(ctx, from, window, parts...)
	ru.waits.since(waitTimeout, timerAt)
	if err != nil {
		ru.rec.add("poshil", fmt.Sprintf("settle window cut short after %v: %v", time.Since(start).Round(time.Millisecond), err))
		return
	}
	ru.rec.add("poshil", fmt.Sprintf("settled %v after the final result (window %v; not quiet before: %v)", time.Since(from).Round(time.Millisecond), window, why))
}

// settleUntil returns when window has passed since from and since the
// latest time any part is pending until, re-reading the parts at the end
// of each wait (a stall's Clear may hand the host a request it then holds
// late). It returns ctx's error if ctx ends first.
func settleUntil(ctx context.Context, from time.Time, window time.Duration, parts ...pending) error {
	for {
		quiet := from
		for _, p := range parts {
			if t := p.PendingUntil(); t.After(quiet) {
				quiet = t
			}
		}
		d := time.Until(quiet.Add(window))
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// waitReversals gives the DUT until expect.host.within to send the
// reversals the scenario expects: a terminal may reverse after its result.
// The count itself is judged by the oracle.
func (ru *run) waitReversals(ctx context.Context) {
	want := ru.sc.Expect.Host
	host := ru.rig.host
	if want == nil || want.Reversals == nil || *want.Reversals <= 0 || host == nil {
		return
	}
	within := want.Within
	if within == 0 {
		within = defaultReversalWait
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	defer ru.waits.since(waitDUT, time.Now())
	n := 0
	_, _ = host.Wait(wctx, func(r acquirer.Record) bool {
		if r.Dir == acquirer.In && r.Txn != nil && (r.Txn.MTI == "0400" || r.Txn.MTI == "0420") {
			n++
		}
		return n >= *want.Reversals
	})
}

// holdToSafeState judges again, on the conversation as it stands at the
// safe state, what must hold for the whole scenario (never, one RESULT per
// sale): a report that came after the verdict still counts.
func (ru *run) holdToSafeState() error {
	if ru.sess == nil {
		return nil
	}
	return oracle.Hold(ru.sc.File, &ru.sc.Expect, ru.log())
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

// finalResultIfAny is finalResult for the evidence: safe before the
// session exists.
func (ru *run) finalResultIfAny() (observed, bool) {
	if ru.sess == nil {
		return observed{}, false
	}
	return ru.finalResult()
}
