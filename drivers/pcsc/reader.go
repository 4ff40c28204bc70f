package pcsc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"
)

// pollStep bounds one SCardGetStatusChange call, so that a stopped pcscd
// or an ended ctx is noticed within this time even if SCardCancel is lost.
const pollStep = 250 * time.Millisecond

// reader is a named PC/SC reader of a Client.
type reader struct {
	client *Client
	name   string
}

// Name is the PC/SC reader name.
func (r *reader) Name() string { return r.name }

// WaitPresent waits for a card (a mute one counts: Connect then fails).
func (r *reader) WaitPresent(ctx context.Context) error {
	_, err := r.WaitCard(ctx)
	return err
}

// WaitCard waits for a card and returns the ATR pcscd reports for it.
func (r *reader) WaitCard(ctx context.Context) ([]byte, error) {
	return r.wait(ctx, func(s scard.StateFlag) bool { return s&scard.StatePresent != 0 })
}

// WaitAbsent waits until the reader is empty.
func (r *reader) WaitAbsent(ctx context.Context) error {
	_, err := r.wait(ctx, func(s scard.StateFlag) bool { return s&scard.StateEmpty != 0 })
	return err
}

// wait blocks until done(state) holds, the reader is gone, or ctx ends,
// and returns the ATR the reader reports then. It uses its own PC/SC
// context so that SCardCancel (on ctx end) interrupts only this wait.
func (r *reader) wait(ctx context.Context, done func(scard.StateFlag) bool) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	sc, err := establish()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(cancelled)
		_ = sc.Cancel()
	})
	defer func() {
		if !stop() {
			<-cancelled // never release a context SCardCancel is using
		}
		_ = sc.Release()
	}()

	states := []scard.ReaderState{{Reader: r.name, CurrentState: scard.StateUnaware}}
	seen := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
		err := sc.GetStatusChange(states, pollStep)
		switch {
		case err == nil:
		case errors.Is(err, scard.ErrTimeout):
			continue
		case errors.Is(err, scard.ErrCancelled) && ctx.Err() != nil:
			return nil, fmt.Errorf("%s: %w", r.name, ctx.Err())
		default:
			return nil, toError(r.name, err, seen)
		}
		ev := states[0].EventState
		switch {
		case ev&scard.StateUnknown != 0 && !seen:
			return nil, fmt.Errorf("%s: %w", r.name, ErrNoReader)
		case ev&(scard.StateUnknown|scard.StateUnavailable) != 0:
			return nil, fmt.Errorf("%s: %w", r.name, ErrReaderGone)
		case done(ev):
			return append([]byte(nil), states[0].Atr...), nil
		}
		seen = true
		states[0].CurrentState = ev &^ scard.StateChanged
	}
}

// Connect opens a shared session (T=0 or T=1, as the card offers) with its
// own PC/SC context. It gives up when ctx ends (ErrUnresponsive wrapping
// ctx's error); vpcd has no timeout, so a card that never answers the
// power-up would otherwise block forever.
func (r *reader) Connect(ctx context.Context) (Card, error) {
	sc, err := establish()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	type session struct {
		h   *scard.Card
		atr []byte
	}
	ch := make(chan session, 1)
	errc := make(chan error, 1)
	go func() {
		h, err := sc.Connect(r.name, scard.ShareShared, scard.ProtocolAny)
		if err != nil {
			errc <- err
			return
		}
		var atr []byte
		if st, err := h.Status(); err == nil {
			atr = st.Atr
		}
		ch <- session{h, atr}
	}()
	select {
	case s := <-ch:
		return newCard(r.name, sc, s.h, s.atr), nil
	case err := <-errc:
		_ = sc.Release()
		return nil, toError(r.name, err, false)
	case <-ctx.Done():
		go func() { // clean up whenever the connect finally returns
			select {
			case s := <-ch:
				_ = s.h.Disconnect(scard.LeaveCard)
			case <-errc:
			}
			_ = sc.Release()
		}()
		return nil, fmt.Errorf("%s: connect: %w: %w", r.name, ErrUnresponsive, ctx.Err())
	}
}
