package vpcd

import "errors"

// Errors reported by Insert and Slot.Err; test them with errors.Is. They are
// wrapped with the slot address ("127.0.0.1:35964: ...").
var (
	// ErrUnreachable: nothing listens on the slot's port (pcscd without
	// the vpcd driver, wrong host or slot number).
	ErrUnreachable = errors.New("vpcd: slot not reachable (is pcscd with vpcd running?)")
	// ErrSlotBusy: another poshil card or run holds the slot on this host
	// (any spelling of its address) and ctx ended before it was freed; it
	// also wraps lease.ErrBusy, whose message names the holder's pid.
	ErrSlotBusy = errors.New("vpcd: slot busy (another card is inserted)")
	// ErrCardPulled: the card failed a command or gave an empty answer;
	// the slot closed the connection, which the reader sees as a removal.
	ErrCardPulled = errors.New("vpcd: card pulled")
	// ErrReaderClosed: vpcd closed the connection (pcscd stopped or the
	// driver ejected the card).
	ErrReaderClosed = errors.New("vpcd: reader closed the connection")
	// ErrFrame: a message from vpcd or an answer from the card cannot be
	// framed (over 65535 bytes).
	ErrFrame = errors.New("vpcd: bad frame")
)
