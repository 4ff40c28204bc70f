package fault

import (
	"context"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/emvcard"
)

// Target is the live bench as faults see it. A method returns nil when the
// bench has no such part; faults then return ErrUnsupported (and declare
// the part in Needs so the runner rejects the scenario up front).
type Target interface {
	// Card is the emulated card side, or nil.
	Card() CardSide
	// Host is the emulated acquirer, or nil.
	Host() *acquirer.Server
	// DUT is the DUT process control, or nil.
	DUT() DUTSide
	// Part returns any other part by name (msr, supply, line, network),
	// for fault families that bring their own interfaces and assert them
	// (database/sql style); nil when absent.
	Part(p Part) any
	// Note records a line on the scenario's fault timeline.
	Note(format string, args ...any)
}

// CardSide is what card faults act on: hooks on the card in play and on any
// card inserted later, and the card's presence.
type CardSide interface {
	// AddHooks installs hooks on the current and future cards; the
	// returned func removes exactly these hooks. Several hooks compose:
	// the most recently added runs first.
	AddHooks(h emvcard.Hooks) (remove func())
	// Pull removes the card now, as a cardholder pulling it.
	Pull(ctx context.Context) error
}

// DUTSide is control over a DUT process the harness runs.
type DUTSide interface {
	// Kill ends the DUT at once (SIGKILL), as a power cut does.
	Kill(ctx context.Context) error
	// Start boots the DUT again and waits for READY.
	Start(ctx context.Context) error
}
