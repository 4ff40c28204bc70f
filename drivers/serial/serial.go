// Package serial is a byte line (ECR, MSR, debug console, SCPI supply) whose
// reads and writes honour a context. The real implementation wraps
// go.bug.st/serial (whose read timeout returns (0, nil): here a timeout is an
// error); pseudo-terminal pairs stand in for cables on the emulated bench.
//
// It does not frame or interpret bytes; protocols live above it (package ecr).
package serial

import (
	"context"
	"errors"
)

// Errors callers can test with errors.Is.
var (
	ErrTimeout = errors.New("serial: timeout")
	ErrClosed  = errors.New("serial: port closed")
)

// Port is one end of a serial line.
type Port interface {
	// Read blocks until at least one byte arrives, the port closes
	// (ErrClosed / io.EOF) or ctx ends (an error wrapping ErrTimeout and
	// ctx.Err()). It never returns (0, nil).
	Read(ctx context.Context, p []byte) (int, error)
	// Write writes all of p or returns an error; it honours ctx.
	Write(ctx context.Context, p []byte) (int, error)
	// Close releases the port; a blocked Read returns ErrClosed.
	Close() error
	// Name names the device for error messages, e.g. "/dev/pts/3".
	Name() string
}
