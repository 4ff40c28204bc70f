// Package dut makes a third-party terminal look like one that speaks
// poshil's framed ECR protocol, so the runner can drive any firmware with a
// bench file and a firmware profile, without Go code. A Profile (YAML, see
// docs/third-party.md) says which text line starts a sale or carries key
// presses, which printed lines are prompts, intermediate reports and
// outcomes, and which of the firmware's own codes means which canonical
// outcome (harness/outcome). Two adapters apply it:
//
//   - NewConsole: a line-based debug console on a serial port;
//   - NewProcess: a firmware built as a host program, over its stdin and
//     its stdout+stderr.
//
// Both return a Link: the runner sends ecr.Message (SALE, KEY, LAST,
// STATUS, ABORT) and receives READY, BUSY, DISPLAY, EVENT and RESULT, as
// from an ecr.Link. Every raw line goes to a tap for the transcript, PIN
// digits and card numbers masked.
//
// It is not a protocol engine: it has no ACK, no retransmission and no
// framing; a firmware that speaks the framed protocol natively uses
// ecr.Link directly (profile protocol "ecr", e.g. the reference terminal).
// It does not start or stop processes: the runner does, and hands the pipes
// over.
package dut

import (
	"context"
	"errors"

	"github.com/poshil/poshil/drivers/ecr"
)

// Link is the runner's conversation with a DUT. *ecr.Link satisfies it, as
// do the adapters of this package.
type Link interface {
	// Send delivers m to the DUT; it honours ctx.
	Send(ctx context.Context, m ecr.Message) error
	// Receive returns the DUT's next message; it honours ctx.
	Receive(ctx context.Context) (ecr.Message, error)
	// Close ends the link's goroutines; later calls fail.
	Close() error
}

var (
	_ Link = (*ecr.Link)(nil)
	_ Link = (*ConsoleLink)(nil)
	_ Link = (*ProcessLink)(nil)
)

// Errors of this package, for errors.Is.
var (
	// ErrProfile: a profile that cannot be used (not found, or the wrong
	// protocol for an adapter). Decoding errors are yamldoc errors
	// (file:line:col, yamldoc.ErrInvalid).
	ErrProfile = errors.New("dut: unusable firmware profile")
	// ErrNoTemplate: the profile has no send template for a message kind,
	// so the firmware cannot be asked for it.
	ErrNoTemplate = errors.New("dut: profile has no send template")
	// ErrTimeout: ctx ended first; the error also wraps ctx.Err().
	ErrTimeout = errors.New("dut: timeout")
	// ErrClosed: Close was called on the link.
	ErrClosed = errors.New("dut: link closed")
	// ErrLinkDown: the console's port failed (closed under the link, EIO,
	// device gone); the error also wraps the port's error. A bench error.
	ErrLinkDown = errors.New("dut: console line down")
	// ErrInputClosed: a process DUT's stdin no longer takes input (the
	// program ended or closed it). The error also wraps ecr.ErrNoAck: the
	// terminal did not take the message, a DUT failure, not a bench one.
	ErrInputClosed = errors.New("dut: firmware input closed")
)

// Tap directions: what the tap's dir argument says.
const (
	TapIn   = "in"   // a line the firmware printed (masked)
	TapOut  = "out"  // a line sent to the firmware (masked)
	TapNote = "note" // the adapter's own remark: READY synthesized, unmapped code, line cut, output ended
)
