package runner

import (
	"context"
	"io"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/emulated"
	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/acquirer"
)

// Parts are a rig's parts as a scenario's run uses them. Up opens the real
// ones (pcscd and vpcd, the DUT process, the emulated host and proxies);
// package runnertest has fakes that record what the run did to them. A
// nil part is one the bench does not have.
type Parts struct {
	// Reader is the PC/SC reader the DUT uses. Required.
	Reader Reader
	// Slot is the card emulator's slot; nil on a bench with real cards.
	Slot Slot
	// DUT starts the DUT program; nil when the bench does not run it.
	DUT Launcher
	// ECR is the harness's end of the DUT's ECR line. Required.
	ECR ECR
	// Host is the emulated acquirer's journal; nil with a real host.
	Host Host
	// Network is the proxy between the DUT and the host, or nil.
	Network Network
	// Supply is the DUT's controllable supply, or nil.
	Supply Supply
}

// Reader is the PC/SC reader the DUT reads cards with.
type Reader interface {
	// WaitEmpty blocks until the reader reports no card.
	WaitEmpty(ctx context.Context) error
	// WaitCard blocks until the reader reports a card and returns the ATR
	// it reports (nil or garbage for a mute card).
	WaitCard(ctx context.Context) (atr []byte, err error)
	// Healthy checks afresh that the reader is still there; a failure is
	// a bench error (verdict.ErrBench).
	Healthy(ctx context.Context) error
}

// Slot is the card emulator's slot the reader sees.
type Slot interface {
	// Insert puts card into the slot; it is served until Remove.
	Insert(ctx context.Context, card vpcd.Card) (InsertedCard, error)
}

// InsertedCard is a card in a Slot (*vpcd.Slot is one).
type InsertedCard interface {
	// Attached is closed when the reader first talks to the card.
	Attached() <-chan struct{}
	// Done is closed when the card is out of the slot.
	Done() <-chan struct{}
	// Err says why the card left, nil while in and after Remove.
	Err() error
	// Remove pulls the card and waits until it is out; idempotent.
	Remove() error
}

// Launcher starts the DUT program for one scenario.
type Launcher interface {
	// Launch starts the DUT with the scenario's placeholder values and
	// extra arguments; its output goes to log (unless pipes are asked
	// for: then Process implements Piped). A DUT that cannot start is a
	// bench error.
	Launch(l Launch) (Process, error)
}

// Launch is what a Launcher needs to start the DUT once.
type Launch struct {
	Vars  map[string]string // placeholder values ({ecr}, {config}, ...)
	Args  []string          // extra arguments (e.g. --mutant NAME)
	Log   io.Writer         // the DUT's output, across restarts
	Pipes bool              // the process adapter talks over stdin/stdout
	Env   []string          // extra environment ("NAME=value"), after the bench's
	// Config is the scenario's dut.config, merged over the bench's process
	// config (see mergeConfig); nil changes nothing.
	Config map[string]any
}

// Process is a running DUT.
type Process interface {
	// Pid identifies the process in the transcript.
	Pid() int
	// Done is closed when the process has ended.
	Done() <-chan struct{}
	// Err is how it ended, once Done is closed.
	Err() error
	// Stop ends it gently (SIGTERM, then SIGKILL), bounded.
	Stop()
	// Kill ends it at once (SIGKILL), as a power cut does, bounded.
	Kill()
}

// Piped is a Process the process adapter talks to over its stdin and
// stdout.
type Piped interface {
	Pipes() (stdin io.WriteCloser, stdout io.ReadCloser)
}

// ECR is the harness's end of the DUT's ECR line.
type ECR interface {
	// Flush drops what an earlier scenario left on the line.
	Flush() error
	// Link opens one scenario's conversation; tap sees line-level
	// trouble, lineTap a text adapter's lines.
	Link(tap func(ecr.TapEvent), lineTap func(dir, line string)) (Link, error)
	// Err is non-nil once the line itself failed (a bench error).
	Err() error
}

// Link is the conversation with a DUT in ECR messages: the framed ECR
// protocol itself (ecr.Link), or an adapter that maps a console or a
// host program's text onto it (package dut).
type Link interface {
	Send(ctx context.Context, m ecr.Message) error
	Receive(ctx context.Context) (ecr.Message, error)
	Close() error
}

// Host is the emulated acquirer as a run uses it (*acquirer.Server is one).
type Host interface {
	// Reset empties the journal and ledger before a scenario.
	Reset()
	// ResetBehaviour drops behaviour set by faults.
	ResetBehaviour()
	// Journal is every message the host received and sent.
	Journal() []acquirer.Record
	// Wait blocks until pred holds for a record, or ctx ends.
	Wait(ctx context.Context, pred func(acquirer.Record) bool) (acquirer.Record, error)
	// Net is the card's net debit.
	Net(pan string) int64
	// PendingUntil is when the last response the host still holds (a
	// late answer) is due; zero when none.
	PendingUntil() time.Time
}

// Network is the proxy between the DUT and the host.
type Network interface {
	// ResetAll returns every connection to normal (no stall, no drop).
	ResetAll() int
}

// Supply is the DUT's supply as the rig drives it: faults set it through
// power.Supply; OnChange makes its output real for the DUT process.
type Supply interface {
	power.Supply
	// OnChange adds f to the callbacks run after every change.
	OnChange(f emulated.ChangeFunc) (remove func())
	// Path is the state file the DUT reads ("" if none).
	Path() string
}
