package runner

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/fixtures/magstripe"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// defaultDisplayWait bounds a display step that names no limit.
const defaultDisplayWait = 10 * time.Second

// step performs one scenario step.
func (ru *run) step(ctx context.Context, st *scenario.Step) error {
	switch {
	case st.Sale != nil:
		return ru.sendTxn(ctx, st, ecr.Sale, amountFields(st.Sale.Amount, st.Sale.Currency)...)
	case st.Insert != nil:
		return ru.insert(ctx)
	case st.Remove != nil:
		return ru.removeCard()
	case st.Display != nil:
		return ru.waitDisplay(ctx, st.Display)
	case st.PIN != nil:
		pin := string(ru.profile.PIN)
		if *st.PIN == "wrong" {
			pin = wrongPIN(pin)
		}
		ru.rec.add("poshil", fmt.Sprintf("PIN entered (%s, %d digits)", *st.PIN, len(pin)))
		if kp := ru.rig.keypad; kp != nil {
			return kp.press(ctx, pin+string(rune(ecr.KeyEnter)))
		}
		return ru.sess.send(ctx, ecr.Message{Kind: ecr.Key, Fields: []ecr.Field{{Key: "keys", Value: pin + string(rune(ecr.KeyEnter))}}})
	case st.Key != nil:
		k, err := scenario.KeyCode(*st.Key)
		if err != nil {
			return err
		}
		if kp := ru.rig.keypad; kp != nil {
			return kp.press(ctx, string(k))
		}
		return ru.sess.send(ctx, ecr.Message{Kind: ecr.Key, Fields: []ecr.Field{{Key: "keys", Value: string(k)}}})
	case st.Expect != nil:
		return ru.expectReport(ctx, st.Expect)
	case st.Inject != nil:
		return ru.arm(ctx, st.Inject)
	case st.Clear != nil:
		if err := ru.sched.Clear(ctx, *st.Clear); err != nil {
			return verdict.Bench("fault "+*st.Clear, err)
		}
		return nil
	case st.Wait != nil:
		t := time.NewTimer(*st.Wait)
		defer t.Stop()
		defer ru.waits.since(waitTimeout, time.Now())
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	case st.Last != nil:
		return ru.askLast(ctx, st.Last)
	case st.Swipe != nil:
		return ru.swipe(ctx)
	case st.Reprint != nil:
		return ru.reprint(ctx)
	case st.Busy != nil:
		return ru.expectBusy(ctx)
	}
	if ok, err := ru.txnStep(ctx, st); ok {
		return err
	}
	return fmt.Errorf("empty step")
}

// waitDisplay waits for a DISPLAY containing the text. A RESULT first means
// the transaction ended without the prompt: a FAIL.
func (ru *run) waitDisplay(ctx context.Context, d *scenario.Display) error {
	within := d.Within
	if within == 0 {
		within = defaultDisplayWait
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	want := strings.ToUpper(d.Text)
	_, err := ru.sess.waitFor(wctx, &ru.cursor, fmt.Sprintf("display %q within %v", d.Text, within), func(m ecr.Message) (bool, error) {
		switch m.Kind {
		case ecr.Display:
			text, _ := m.Get("text")
			return strings.Contains(strings.ToUpper(text), want), nil
		case ecr.Result:
			code, _ := m.Get("code")
			return false, fmt.Errorf("expected display %q, but the terminal ended the transaction with %s", d.Text, code)
		}
		return false, nil
	})
	return ru.dutError(err)
}

// expectReport waits for the next EVENT or RESULT and checks its code.
func (ru *run) expectReport(ctx context.Context, want *scenario.Report) error {
	within := want.Within
	if within == 0 {
		within = defaultDisplayWait
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	start := time.Now()
	m, err := ru.sess.waitFor(wctx, &ru.cursor, fmt.Sprintf("report %s within %v", want.Outcome, within), func(m ecr.Message) (bool, error) {
		return m.Kind == ecr.Event || m.Kind == ecr.Result, nil
	})
	if err != nil {
		return ru.dutError(err)
	}
	code, _ := m.Get("code")
	if code != string(want.Outcome) {
		return fmt.Errorf("expected %s, got %s %s", expectedText(want.Outcome, want.TriesLeft), m.Kind, reportText(m))
	}
	if err := checkTries(want.TriesLeft, m); err != nil {
		return err
	}
	ru.rec.add("poshil", fmt.Sprintf("saw %s after %v", code, time.Since(start).Round(time.Millisecond)))
	return nil
}

// checkTries compares the tries the DUT reported with the expected count.
func checkTries(want *int, m ecr.Message) error {
	if want == nil {
		return nil
	}
	got, ok := m.Get("tries")
	if !ok {
		return fmt.Errorf("expected %d tries left, the terminal reported %s without tries", *want, reportText(m))
	}
	if got != strconv.Itoa(*want) {
		return fmt.Errorf("expected %d tries left, got %s", *want, got)
	}
	return nil
}

func expectedText[T ~string](code T, tries *int) string {
	if tries != nil {
		return fmt.Sprintf("%s with %d tries left", code, *tries)
	}
	return string(code)
}

func reportText(m ecr.Message) string {
	code, _ := m.Get("code")
	if u, ok := m.Get("unmapped"); ok && code == "" {
		code = fmt.Sprintf("%q (a DUT code the firmware profile does not map)", u)
	}
	if t, ok := m.Get("tries"); ok {
		return fmt.Sprintf("%s (tries=%s)", code, t)
	}
	return code
}

// wrongPIN is a PIN of the same length that differs in every digit.
func wrongPIN(pin string) string {
	b := []byte(pin)
	for i, c := range b {
		b[i] = '0' + (c-'0'+1)%10
	}
	return string(b)
}

// askLast sends LAST and checks the terminal's answer against want.
func (ru *run) askLast(ctx context.Context, want *scenario.Report) error {
	if err := ru.sess.send(ctx, ecr.Message{Kind: ecr.Last}); err != nil {
		return err
	}
	within := want.Within
	if within == 0 {
		within = defaultDisplayWait
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	m, err := ru.sess.waitFor(wctx, &ru.cursor, "answer to LAST", func(m ecr.Message) (bool, error) {
		last, _ := m.Get("last")
		return m.Kind == ecr.Result && last == "1", nil
	})
	if err != nil {
		return ru.dutError(err)
	}
	if code, _ := m.Get("code"); code != string(want.Outcome) {
		return fmt.Errorf("last transaction: expected %s, the terminal says %s", want.Outcome, reportText(m))
	}
	return checkTries(want.TriesLeft, m)
}

// swipe swipes the scenario's card through the emulated MSR, with the
// damage magstripe faults have set.
func (ru *run) swipe(ctx context.Context) error {
	msr := ru.rig.msr
	if msr == nil {
		return fmt.Errorf("swipe: this bench has no emulated MSR")
	}
	t := magstripe.Tracks{T1: ru.profile.Track1(), T2: ru.profile.Track2()}
	line, err := msr.Line(t)
	if err != nil {
		return fmt.Errorf("swipe: card %s: %w", ru.sc.Card.Name, err)
	}
	if sw, err := magstripe.ParseSwipe(line); err == nil {
		ru.rec.add("msr", "swipe "+sw.String())
	} else {
		ru.rec.add("msr", "swipe (reads as: "+err.Error()+")")
	}
	if err := msr.Swipe(ctx, t); err != nil {
		return verdict.Bench("msr line", err)
	}
	return nil
}
