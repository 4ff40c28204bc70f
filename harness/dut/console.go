package dut

import (
	"context"
	"errors"
	"fmt"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/serial"
)

// ConsoleLink drives a firmware's line-based debug console on a serial
// port, per a Profile: requests are written as text lines, printed lines
// become messages. It does not own the port: Close stops the reader and
// leaves the port open (as ecr.Link does).
type ConsoleLink struct {
	c    *core
	port serial.Port
}

// NewConsole starts reading the console on p. Every line, both ways, goes
// to tap (nil: none) masked: KEY lines with '*' for digits, card numbers
// first 6 / last 4, an echoed PIN as '*'s. A profile of protocol ecr is
// ErrProfile (use ecr.NewLink).
func NewConsole(p serial.Port, prof *Profile, tap func(dir, line string)) (*ConsoleLink, error) {
	if err := usable(prof); err != nil {
		return nil, err
	}
	l := &ConsoleLink{c: newCore(prof, fmt.Sprintf("dut %s (console %s)", prof.Name, p.Name()), tap), port: p}
	l.c.write = l.write
	l.c.readyOnStart()
	l.c.stream(func(b []byte) (int, error) { return p.Read(l.c.ctx, b) }, l.c.setDown)
	return l, nil
}

// usable refuses a profile the text adapters cannot apply.
func usable(prof *Profile) error {
	switch {
	case prof == nil:
		return fmt.Errorf("%w: no profile", ErrProfile)
	case prof.Native():
		return fmt.Errorf("%w: %s: the firmware speaks framed ECR itself (protocol ecr): use the ecr adapter", ErrProfile, prof)
	}
	return nil
}

// Send writes the line(s) the profile's send template makes of m. It fails
// with ErrNoTemplate for a kind the profile cannot send, ErrTimeout when
// ctx ends, ErrLinkDown when the port fails, ErrClosed after Close. It
// returns once the bytes are written: a console has no acknowledgement.
func (l *ConsoleLink) Send(ctx context.Context, m ecr.Message) error { return l.c.send(ctx, m) }

// Receive returns the next message made from a printed line. It fails
// with ErrTimeout when ctx ends and, once the queue is empty, with
// ErrLinkDown (the port failed) or ErrClosed.
func (l *ConsoleLink) Receive(ctx context.Context) (ecr.Message, error) { return l.c.receive(ctx) }

// Close stops the reader and waits for it (bounded); the port stays open.
func (l *ConsoleLink) Close() error { return l.c.close(nil) }

// write writes b to the port under ctx.
func (l *ConsoleLink) write(ctx context.Context, b []byte) error {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-l.c.ctx.Done():
			stop()
		case <-wctx.Done():
		}
	}()
	_, err := l.port.Write(wctx, b)
	switch {
	case err == nil:
		return nil
	case l.c.ctx.Err() != nil:
		return ErrClosed
	case errors.Is(err, serial.ErrTimeout):
		return fmt.Errorf("%w (%w)", ErrTimeout, cause(ctx))
	}
	l.c.setDown(err)
	return fmt.Errorf("%w: %w", ErrLinkDown, err)
}
