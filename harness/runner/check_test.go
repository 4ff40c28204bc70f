package runner

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/oracle"
	"github.com/poshil/poshil/harness/verdict"
)

// hostTimeout expects HOST_TIMEOUT and never APPROVED: the sale step is
// at 3:5, outcome at 5:12, never[0] at 6:11.
const hostTimeout = `name: host timeout
steps:
  - sale: 12.50
expect:
  outcome: HOST_TIMEOUT
  never: [APPROVED]
`

// TestSettleCatchesApprovalAfterHostTimeout is the false PASS: the
// terminal reports HOST_TIMEOUT and approves 300 ms later. The settle
// window keeps listening, so the verdict is a FAIL naming never and the
// sale's two RESULTs. Without the settle window this test fails.
func TestSettleCatchesApprovalAfterHostTimeout(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(300*time.Millisecond, result(m, "APPROVED"))
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.steps(t, ctx)
	code, err := ru.checkFinal(ctx)
	if err == nil {
		t.Fatalf("PASS with APPROVED 300ms after HOST_TIMEOUT (final code %s)", code)
	}
	if class, _ := classify(context.Background(), err); class != verdict.Fail || !errors.Is(err, oracle.ErrUnmet) {
		t.Errorf("class %s, want FAIL from the oracle: %v", class, err)
	}
	for _, want := range []string{
		"dut.yaml:6:11: expect.never: the terminal reported APPROVED",
		"dut.yaml:3:5: one result per sale: sale P1 got 2 RESULTs: RESULT code=HOST_TIMEOUT ref=P1",
		"then RESULT code=APPROVED ref=P1",
		"dut.yaml:5:12: expect.outcome",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verdict does not say %q:\n%v", want, err)
		}
	}
	if code != "APPROVED" {
		t.Errorf("final code %q, want the last RESULT's APPROVED", code)
	}
}

// TestSettleCatchesApprovalAfterCancel: CANCELLED, then APPROVED 300 ms
// later as an event: not a second RESULT, but never sees it.
func TestSettleCatchesApprovalAfterCancel(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(hostTimeout, "outcome: HOST_TIMEOUT", "outcome: CANCELLED", 1)
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "CANCELLED"))
			f.say(300*time.Millisecond, ecr.Message{Kind: ecr.Event}.With("code", "APPROVED"))
		}
	})
	ru, ctx := fakeRun(t, doc, link)
	ru.steps(t, ctx)
	_, err := ru.checkFinal(ctx)
	if err == nil || !strings.Contains(err.Error(), "dut.yaml:6:11: expect.never: the terminal reported APPROVED, which this scenario forbids: EVENT code=APPROVED") ||
		!strings.Contains(err.Error(), "after RESULT code=CANCELLED ref=P1") {
		t.Fatalf("want the approval after the cancel caught by never: %v", err)
	}
}

// TestSettleIsShortForAGoodTerminal: a terminal that answers once passes
// after the default window, not much later.
func TestSettleIsShortForAGoodTerminal(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, ecr.Message{Kind: ecr.Display}.With("text", "HOST TIMEOUT"))
			f.say(0, result(m, "HOST_TIMEOUT"))
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.steps(t, ctx)
	start := time.Now()
	if _, err := ru.checkFinal(ctx); err != nil {
		t.Fatalf("a terminal that answers once failed: %v", err)
	}
	took := time.Since(start)
	if took < 450*time.Millisecond || took > 2*time.Second {
		t.Errorf("checkFinal took %v, want about the 500ms settle window", took)
	}
}

// TestExpectSettleLengthensTheWindow: expect.settle: 1s catches an
// approval 800 ms after the result.
func TestExpectSettleLengthensTheWindow(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(800*time.Millisecond, ecr.Message{Kind: ecr.Event}.With("code", "APPROVED"))
		}
	})
	ru, ctx := fakeRun(t, hostTimeout+"  settle: 1s\n", link)
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err == nil || !strings.Contains(err.Error(), "expect.never") {
		t.Fatalf("want never caught within expect.settle: %v", err)
	}
}

// TestHoldToSafeState: a report after the verdict is still judged at the
// safe state.
func TestHoldToSafeState(t *testing.T) {
	t.Parallel()
	var sale atomic.Value
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			sale.Store(m)
			f.say(0, result(m, "HOST_TIMEOUT"))
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ru.holdToSafeState(); err != nil {
		t.Fatalf("nothing came after the verdict: %v", err)
	}
	from := len(ru.sess.all())
	link.say(0, result(sale.Load().(ecr.Message), "APPROVED"))
	if _, err := ru.sess.waitFor(ctx, &from, "late RESULT", func(m ecr.Message) (bool, error) { return m.Kind == ecr.Result, nil }); err != nil {
		t.Fatal(err)
	}
	err := ru.holdToSafeState()
	if err == nil || !strings.Contains(err.Error(), "dut.yaml:6:11: expect.never") || !strings.Contains(err.Error(), "dut.yaml:3:5: one result per sale") {
		t.Fatalf("a RESULT after the verdict was not judged: %v", err)
	}
}

// TestNoResultStillQuotesNever: a terminal that approves in an event and
// never ends the sale fails for both.
func TestNoResultStillQuotesNever(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, ecr.Message{Kind: ecr.Event}.With("code", "APPROVED"))
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.steps(t, ctx)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err := ru.checkFinal(short)
	if err == nil || !strings.Contains(err.Error(), "expected HOST_TIMEOUT: no RESULT") || !strings.Contains(err.Error(), "dut.yaml:6:11: expect.never") {
		t.Fatalf("got %v", err)
	}
}

// duePart is a bench part pending until a time the test moves.
type duePart struct{ due atomic.Pointer[time.Time] }

func (p *duePart) PendingUntil() time.Time {
	if t := p.due.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

func (p *duePart) set(t time.Time) { p.due.Store(&t) }

// TestSettleWaitsForPendingParts: the window starts when the last part is
// quiet, and a part that becomes pending during the window (a stall's
// Clear handing the host a request it holds late) extends it.
func TestSettleWaitsForPendingParts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	start := time.Now()
	host, stall := &duePart{}, &duePart{}
	stall.set(start.Add(200 * time.Millisecond))
	// When the stall's Clear is due, the host starts holding a late
	// response for 300 ms more.
	time.AfterFunc(200*time.Millisecond, func() { host.set(start.Add(500 * time.Millisecond)) })
	if err := settleUntil(ctx, start, 100*time.Millisecond, host, stall); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 600*time.Millisecond || took > 3*time.Second {
		t.Errorf("settled after %v, want the host's 500ms plus the 100ms window", took)
	}
	// Nothing pending: the window from the result alone.
	start = time.Now()
	if err := settleUntil(ctx, start, 100*time.Millisecond); err != nil || time.Since(start) < 100*time.Millisecond {
		t.Errorf("settleUntil without parts: %v after %v", err, time.Since(start))
	}
	// The scenario's deadline cuts the window short.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := settleUntil(short, time.Now(), time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("settleUntil past the deadline: %v", err)
	}
}

// TestSeveralSales: each sale gets its own ref; the last sale's final
// result is judged, and a second RESULT for an earlier sale is a FAIL at
// that sale's step. An answer to LAST is not a second result.
func TestSeveralSales(t *testing.T) {
	t.Parallel()
	const doc = `name: two sales
steps:
  - sale: 1.00
  - expect: {outcome: DECLINED}
  - sale: 2.00
  - last: {outcome: APPROVED}
expect:
  outcome: APPROVED
`
	answer := func(f *fakeLink, m ecr.Message, sales *atomic.Int32, again bool) {
		switch m.Kind {
		case ecr.Sale:
			if sales.Add(1) == 1 {
				f.say(0, result(m, "DECLINED"))
				if again {
					f.say(0, result(m, "DECLINED"))
				}
				f.say(0, ecr.Message{Kind: ecr.Ready})
				return
			}
			f.say(0, result(m, "APPROVED"))
			f.say(0, ecr.Message{Kind: ecr.Ready})
		case ecr.Last:
			f.say(0, ecr.Message{Kind: ecr.Result}.With("code", "APPROVED").With("ref", "P2").With("last", "1"))
		}
	}
	for _, again := range []bool{false, true} {
		var sales atomic.Int32
		link := newFakeLink(func(f *fakeLink, m ecr.Message) { answer(f, m, &sales, again) })
		ru, ctx := fakeRun(t, doc, link)
		ru.steps(t, ctx)
		code, err := ru.checkFinal(ctx)
		switch {
		case !again && (err != nil || code != "APPROVED"):
			t.Errorf("one RESULT per sale, last APPROVED: %s %v", code, err)
		case again && (err == nil || !strings.Contains(err.Error(), "dut.yaml:3:5: one result per sale: sale P1 got 2 RESULTs")):
			t.Errorf("sale P1 answered twice: %v", err)
		case again && strings.Contains(err.Error(), "P2"):
			t.Errorf("sale P2 (one RESULT, one answer to LAST) blamed: %v", err)
		}
	}
}
