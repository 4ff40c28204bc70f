package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

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
	from := ru.txnFrom
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
	ru.txnFrom = len(ru.sess.all())
}
