package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/acquirer"
)

var readyMsg = ecr.Message{Kind: ecr.Ready}.With("version", "fake")

// lateApproval is an EVENT code=APPROVED: never forbids it.
var lateApproval = ecr.Message{Kind: ecr.Event}.With("code", "APPROVED")

// quietHost is an emulated host for the settle tests: idle once idle is
// closed (nil: idle at once); with noIdle it cannot say (no WaitIdle).
type quietHost struct {
	idle <-chan struct{}
}

func (h *quietHost) Reset()                     {}
func (h *quietHost) ResetBehaviour()            {}
func (h *quietHost) Journal() []acquirer.Record { return nil }
func (h *quietHost) Wait(ctx context.Context, pred func(acquirer.Record) bool) (acquirer.Record, error) {
	<-ctx.Done()
	return acquirer.Record{}, ctx.Err()
}
func (h *quietHost) Net(string) int64        { return 0 }
func (h *quietHost) PendingUntil() time.Time { return time.Time{} }
func (h *quietHost) WaitIdle(ctx context.Context) error {
	if h.idle == nil {
		return nil
	}
	select {
	case <-h.idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// muteHost is a host that cannot say whether it is idle.
type muteHost struct{ quietHost }

// WaitIdle hides quietHost's: muteHost is no idleHost.
func (muteHost) WaitIdle() {}

// quietReader reports the slot empty once empty is closed.
type quietReader struct{ empty <-chan struct{} }

func (r quietReader) WaitEmpty(ctx context.Context) error {
	select {
	case <-r.empty:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (quietReader) WaitCard(ctx context.Context) ([]byte, error) { return nil, errors.New("unused") }
func (quietReader) Healthy(context.Context) error                { return nil }

type noSlot struct{}

func (noSlot) Insert(context.Context, vpcd.Card) (InsertedCard, error) {
	return nil, errors.New("unused")
}

// afterSeen returns a channel closed once the DUT has sent a message of
// kind k with code code: a part that stays busy until then.
func afterSeen(t *testing.T, ctx context.Context, ru *run, k ecr.Kind, code string) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		from := 0
		_, _ = ru.sess.waitFor(ctx, &from, "late report", func(m ecr.Message) (bool, error) {
			c, _ := m.Get("code")
			return m.Kind == k && c == code, nil
		})
	}()
	return ch
}

// settledEarly says whether the transcript shows the settle window ended
// on proof of quiescence.
func settledEarly(ru *run) bool {
	for _, l := range ru.rec.snapshot() {
		if strings.Contains(l.Text, "the terminal said READY") {
			return true
		}
	}
	return false
}

// TestSettleEndsOnProof: RESULT then READY, no host, no card: the window
// ends on the proof, well before its 500 ms, and the sale passes.
func TestSettleEndsOnProof(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(0, readyMsg)
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.rig.host = &quietHost{}
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err != nil {
		t.Fatal(err)
	}
	if !settledEarly(ru) {
		t.Fatalf("RESULT, READY, host idle: the window did not end on the proof:\n%v", ru.rec.snapshot())
	}
}

// TestSettleReadyBeforeResultIsNoProof: the READY the terminal sent before
// its RESULT (at boot) proves nothing: an approval 300 ms after the
// HOST_TIMEOUT is still caught.
func TestSettleReadyBeforeResultIsNoProof(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, readyMsg)
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(300*time.Millisecond, lateApproval)
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.rig.host = &quietHost{}
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err == nil || !strings.Contains(err.Error(), "expect.never") {
		t.Fatalf("a READY before the RESULT ended the window: the approval after it was missed: %v", err)
	}
}

// TestSettleWaitsForTheHost: the terminal said READY but its connection
// to the host is still open; the approval it reports meanwhile is caught.
func TestSettleWaitsForTheHost(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(0, readyMsg)
			f.say(100*time.Millisecond, lateApproval)
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.rig.host = &quietHost{idle: afterSeen(t, ctx, ru, ecr.Event, "APPROVED")}
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err == nil || !strings.Contains(err.Error(), "expect.never") {
		t.Fatalf("the window ended while the host still had a connection open: %v", err)
	}
}

// TestSettleWaitsForTheCard: the terminal said READY, the host is idle,
// but the reader still reports a card; the approval meanwhile is caught.
func TestSettleWaitsForTheCard(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(0, readyMsg)
			f.say(100*time.Millisecond, lateApproval)
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.rig.host = &quietHost{}
	ru.rig.parts = Parts{Slot: noSlot{}, Reader: quietReader{empty: afterSeen(t, ctx, ru, ecr.Event, "APPROVED")}}
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err == nil || !strings.Contains(err.Error(), "expect.never") {
		t.Fatalf("the window ended while the reader still reported a card: %v", err)
	}
}

// TestSettleFullWindowWithoutProof: a host that cannot say it is idle
// gives no proof: the whole window runs and the approval 300 ms after
// RESULT and READY is caught.
func TestSettleFullWindowWithoutProof(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(0, readyMsg)
			f.say(300*time.Millisecond, lateApproval)
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.rig.host = &muteHost{}
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err == nil || !strings.Contains(err.Error(), "expect.never") {
		t.Fatalf("no proof from the host, yet the window ended early: %v", err)
	}
	if settledEarly(ru) {
		t.Error("the transcript claims a proof the host cannot give")
	}
}

// TestSettleLooksAgainAfterAWord: the terminal said READY, then spoke
// again while its host connection was still open: the proof starts over
// (it must say READY again), so the approval it reports 100 ms later is
// caught.
func TestSettleLooksAgainAfterAWord(t *testing.T) {
	t.Parallel()
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind == ecr.Sale {
			f.say(0, result(m, "HOST_TIMEOUT"))
			f.say(0, readyMsg)
			f.say(50*time.Millisecond, ecr.Message{Kind: ecr.Event}.With("code", "PRINTER_ERROR"))
			f.say(150*time.Millisecond, lateApproval)
		}
	})
	ru, ctx := fakeRun(t, hostTimeout, link)
	ru.rig.host = &quietHost{idle: afterSeen(t, ctx, ru, ecr.Event, "PRINTER_ERROR")}
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err == nil || !strings.Contains(err.Error(), "expect.never") {
		t.Fatalf("the window ended on a READY the terminal had spoken after: %v", err)
	}
}

// TestSettleAsksStatusAfterLast: the final result is an answer to LAST,
// which no READY follows; the runner asks STATUS, and the READY that
// answers it ends the window on the proof.
func TestSettleAsksStatusAfterLast(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(hostTimeout, "  - sale: 12.50\n", "  - sale: 12.50\n  - last: {outcome: HOST_TIMEOUT}\n", 1)
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		switch m.Kind {
		case ecr.Last:
			f.say(0, ecr.Message{Kind: ecr.Result}.With("code", "HOST_TIMEOUT").With("ref", "P1").With("last", "1"))
		case ecr.Status:
			f.say(0, readyMsg)
		}
	})
	ru, ctx := fakeRun(t, doc, link)
	ru.rig.host = &quietHost{}
	ru.steps(t, ctx)
	if _, err := ru.checkFinal(ctx); err != nil {
		t.Fatal(err)
	}
	if !settledEarly(ru) {
		t.Fatalf("the answer to LAST, then READY to STATUS: the window did not end on the proof:\n%v", ru.rec.snapshot())
	}
}
