package runner

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// txnMarks is what later transaction steps need of earlier ones.
type txnMarks struct {
	from     int    // the DUT's messages seen when the last transaction was sent
	lastSale string // the ref of the last sale sent, for a void
}

// idleBound bounds the wait for the terminal's READY between two
// transactions: its RESULT, the card's removal (the terminal waits its own
// card_wait for it) and READY.
const idleBound = 15 * time.Second

// idleForNext waits, before every transaction step but the first, until
// the terminal has reported READY since the previous transaction was sent:
// a terminal still busy with it would answer BUSY, and the scenario would
// judge a refusal it did not mean to ask for. A terminal that never gets
// back to READY fails here, with the messages seen.
func (ru *run) idleForNext(ctx context.Context) error {
	if ru.seq == 0 {
		return nil
	}
	from := ru.txns.from
	wctx, cancel := context.WithTimeout(ctx, idleBound)
	defer cancel()
	_, err := ru.sess.waitFor(wctx, &from, "READY", func(m ecr.Message) (bool, error) {
		return m.Kind == ecr.Ready, nil
	})
	if err != nil {
		return ru.dutError(fmt.Errorf("terminal not READY for the next transaction within %v after the previous one: %w", idleBound, err))
	}
	return nil
}

// markTxn notes where the transaction being sent starts in the terminal's
// messages, for the next idleForNext.
func (ru *run) markTxn() {
	ru.txns.from = len(ru.sess.all())
}

// sendTxn sends a transaction message after the previous one is done: its
// own ref (P1, P2, ... shared with sales), at the step's place.
func (ru *run) sendTxn(ctx context.Context, st *scenario.Step, kind ecr.Kind, fields ...ecr.Field) error {
	if err := ru.idleForNext(ctx); err != nil {
		return err
	}
	ru.beginSale(ctx)
	ru.markTxn()
	ref := ru.nextRef()
	if kind == ecr.Sale {
		ru.txns.lastSale = ref
	}
	m := ecr.Message{Kind: kind, Fields: append(fields, ecr.Field{Key: "ref", Value: ref})}
	return ru.sess.sendStep(ctx, m, yamldoc.Pos{Line: st.Line, Col: st.Col})
}

// amountFields are a transaction's amount and currency (978 unless named).
func amountFields(a scenario.Amount, cur string) []ecr.Field {
	if cur == "" {
		cur = "978"
	}
	return []ecr.Field{{Key: "amount", Value: strconv.FormatInt(int64(a), 10)}, {Key: "currency", Value: cur}}
}

// txnStep performs a refund, void or typed transaction step; false when
// st is none of them.
func (ru *run) txnStep(ctx context.Context, st *scenario.Step) (bool, error) {
	switch {
	case st.Refund != nil:
		return true, ru.sendTxn(ctx, st, ecr.Refund, amountFields(st.Refund.Amount, st.Refund.Currency)...)
	case st.Void != nil:
		return true, ru.sendTxn(ctx, st, ecr.Void, ecr.Field{Key: "orig", Value: ru.txns.lastSale})
	case st.Transaction != nil:
		t := st.Transaction
		var f []ecr.Field
		if t.Amount > 0 {
			f = amountFields(t.Amount, t.Currency)
		}
		return true, ru.sendTxn(ctx, st, ecr.Kind(strings.ToUpper(t.Type)), f...)
	}
	return false, nil
}
