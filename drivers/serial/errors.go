package serial

import (
	"context"
	"errors"
	"fmt"
)

// More errors callers can test with errors.Is (ErrTimeout and ErrClosed are
// declared with the Port contract).
var (
	// ErrOptions reports Options that cannot be applied (bad baud, data
	// bits, parity or stop bits).
	ErrOptions = errors.New("serial: invalid options")
	// ErrOpen reports a device that could not be opened: missing, busy,
	// no permission, or not a terminal.
	ErrOpen = errors.New("serial: cannot open device")
	// ErrIO reports the line failing under a read or write that was not
	// closed by us: device unplugged, pty peer gone (EIO), hang-up.
	ErrIO = errors.New("serial: i/o error")
	// ErrNotSupported reports an optional capability the device lacks,
	// e.g. modem lines on a pseudo-terminal (ENOTTY).
	ErrNotSupported = errors.New("serial: not supported by device")
)

// timeoutErr is the error of an operation ended by ctx.
func timeoutErr(ctx context.Context, name, op string) error {
	cause := ctx.Err()
	if cause == nil {
		// A deadline taken from ctx fired a hair before ctx's own timer.
		cause = context.DeadlineExceeded
	}
	return fmt.Errorf("%s: %s: %w (%w)", name, op, ErrTimeout, cause)
}

// closedErr is the error of an operation on a port closed by Close.
func closedErr(name, op string) error {
	return fmt.Errorf("%s: %s: %w", name, op, ErrClosed)
}

// ioErr wraps a device error as ErrIO, keeping the cause.
func ioErr(name, op string, err error) error {
	return fmt.Errorf("%s: %s: %w: %w", name, op, ErrIO, err)
}

// gate is a mutex whose Lock honours a context.
type gate chan struct{}

func newGate() gate { return make(gate, 1) }

// lock takes the gate or returns ctx.Err().
func (g gate) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gate) unlock() { <-g }
