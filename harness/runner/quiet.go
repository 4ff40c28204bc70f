package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// idleHost is a Host that can tell when it has nothing in flight: no
// client connection open, no late response held (*acquirer.Server is one).
type idleHost interface {
	WaitIdle(ctx context.Context) error
}

// errNoProof: a part of the bench cannot show that it is quiet, so the
// settle window runs to its end.
var errNoProof = errors.New("no proof of quiescence")

// proveQuiet waits, within ctx, for positive proof that nothing more can
// happen in this scenario after the final result that arrived at from, so
// the settle window may end early. Every one of these must hold:
//
//   - no fault can still act: every armed fault fired and none waits for
//     a timed Clear (a fault that never fired might yet);
//   - the card is out: the harness takes it out of the emulated slot (as a
//     cardholder does once the terminal has answered) and the reader
//     reports the slot empty;
//   - the terminal says it is idle: its latest message is READY, sent
//     after the final result (a terminal that goes on to say anything
//     else is not idle until it says READY again);
//   - the host has nothing in flight: no connection from the terminal is
//     open and no late response is held (a terminal that opens one
//     connection per message has sent everything it was going to).
//
// It returns nil once all hold, or why not.
func (ru *run) proveQuiet(ctx context.Context, from time.Time) error {
	if ru.sess == nil {
		return errNoProof
	}
	if ru.sched != nil && len(ru.sched.Unfired()) > 0 {
		return fmt.Errorf("%w: a fault that has not fired yet may still fire", errNoProof)
	}
	var host idleHost
	if ru.rig.host != nil {
		h, ok := ru.rig.host.(idleHost)
		if !ok {
			return fmt.Errorf("%w: the host cannot say it is idle", errNoProof)
		}
		host = h
	}
	if ru.slot != nil {
		if err := ru.removeCard(); err != nil {
			return err
		}
	}
	if ru.rig.parts.Slot != nil && ru.rig.parts.Reader != nil {
		start := time.Now()
		err := ru.rig.parts.Reader.WaitEmpty(ctx)
		ru.waits.since(waitCard, start)
		if err != nil {
			return fmt.Errorf("the reader still reports a card: %w", err)
		}
	}
	err := ru.sess.wait(ctx, "READY after the final result", func() (bool, error) {
		return idleAfter(ru.sess.msgs, from), nil
	})
	if err != nil {
		return err
	}
	if host != nil {
		start := time.Now()
		err := host.WaitIdle(ctx)
		ru.waits.since(waitDUT, start)
		if err != nil {
			return fmt.Errorf("the host still has a connection open: %w", err)
		}
	}
	if ru.sched != nil && ru.sched.PendingUntil().After(time.Now()) {
		return fmt.Errorf("%w: a fault waits for its timed clear", errNoProof)
	}
	return nil
}

// idleAfter: the DUT's latest message is READY and it came after the final
// result, the RESULT that arrived at from.
func idleAfter(msgs []observed, from time.Time) bool {
	final := -1
	for i, o := range msgs {
		if o.msg.Kind == ecr.Result && o.at.Equal(from) {
			final = i
		}
	}
	last := len(msgs) - 1
	return final >= 0 && last > final && msgs[last].msg.Kind == ecr.Ready
}
