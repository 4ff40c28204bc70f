package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/oracle"
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
//   - no fault can still act: every armed fault fired (one that never
//     fired might yet) and every timed Clear has come;
//   - the card is out: the harness takes it out of the emulated slot (as a
//     cardholder does once the terminal has answered) and the reader
//     reports the slot empty;
//   - the terminal says it is idle: its latest message is READY, sent
//     after the final result (a terminal that goes on to say anything
//     else is not idle until it says READY again); when the final result
//     is an answer to LAST, the runner asks with STATUS;
//   - the host has nothing in flight: no connection from the terminal is
//     open and no late response is held (a terminal that opens one
//     connection per message has sent everything it was going to).
//
// The terminal must say nothing while the host and the faults go quiet;
// a word from it meanwhile starts the look again (it must say READY
// again). It returns nil once all hold, or why not.
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
	// An answer to LAST is not followed by READY as a sale's RESULT is:
	// ask the terminal (STATUS is answered READY when idle, else BUSY).
	if final, ok := (oracle.Log{Entries: ru.sess.entries()}).Final(); ok && isLastAnswer(final.Msg) {
		if err := ru.sess.send(ctx, ecr.Message{Kind: ecr.Status}); err != nil {
			return fmt.Errorf("asking the terminal whether it is idle: %w", err)
		}
	}
	// The terminal said READY, then the host and the faults went quiet
	// with no word from the terminal in between: else look again.
	for {
		seen := 0
		err := ru.sess.wait(ctx, "READY after the final result", func() (bool, error) {
			seen = len(ru.sess.msgs)
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
		if ru.sched != nil {
			if err := ru.waitFaultsDue(ctx); err != nil {
				return err
			}
		}
		if len(ru.sess.all()) == seen {
			return nil
		}
	}
}

// waitFaultsDue waits until no fault that fired waits for a timed Clear.
func (ru *run) waitFaultsDue(ctx context.Context) error {
	for {
		due := ru.sched.PendingUntil()
		if !due.After(time.Now()) {
			return nil
		}
		start := time.Now()
		t := time.NewTimer(time.Until(due))
		select {
		case <-t.C:
			ru.waits.since(waitTimeout, start)
		case <-ctx.Done():
			t.Stop()
			ru.waits.since(waitTimeout, start)
			return fmt.Errorf("%w: a fault waits for its timed clear: %w", errNoProof, ctx.Err())
		}
	}
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

// isLastAnswer tells a RESULT that answers LAST (last=1).
func isLastAnswer(m ecr.Message) bool {
	last, _ := m.Get("last")
	return m.Kind == ecr.Result && last == "1"
}
