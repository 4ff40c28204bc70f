// Package pcsc is the PC/SC side of a card reader: list readers, wait for a
// card, connect and exchange APDUs. The interfaces here are what the harness
// and the reference terminal program against; the implementation over
// github.com/ebfe/scard (the same stack a real reader uses) lives beside them.
//
// It is not the card side: an emulated card plugged into vpcd lives in
// package vpcd.
package pcsc

import (
	"context"
	"errors"
)

// Errors returned by readers and cards; test them with errors.Is. scard
// error codes are mapped onto these so callers never see raw PC/SC codes.
var (
	ErrNoService     = errors.New("pcsc: service not available (is pcscd running?)")
	ErrNoReader      = errors.New("pcsc: reader not found")
	ErrReaderGone    = errors.New("pcsc: reader unavailable")
	ErrNoCard        = errors.New("pcsc: no card in reader")
	ErrRemoved       = errors.New("pcsc: card removed")
	ErrUnresponsive  = errors.New("pcsc: card unresponsive")
	ErrUnpowered     = errors.New("pcsc: card unpowered")
	ErrProtocol      = errors.New("pcsc: protocol mismatch")
	ErrEmptyResponse = errors.New("pcsc: empty R-APDU")
	ErrShortAPDU     = errors.New("pcsc: R-APDU shorter than a status word")
)

// Reader is one PC/SC reader slot.
type Reader interface {
	// Name is the PC/SC reader name, e.g. "Virtual PCD 00 00".
	Name() string
	// WaitPresent blocks until a card is present, the reader goes away
	// (ErrReaderGone) or ctx ends (ctx.Err()).
	WaitPresent(ctx context.Context) error
	// WaitCard is WaitPresent that also returns the ATR pcscd reports for
	// the card, read without connecting to it (nil or partial for a mute
	// card), so it never disturbs another client's session.
	WaitCard(ctx context.Context) ([]byte, error)
	// WaitAbsent blocks until no card is present, or as WaitPresent.
	WaitAbsent(ctx context.Context) error
	// Connect powers the card and opens a session with it.
	Connect(ctx context.Context) (Card, error)
}

// Card is a connected card session.
type Card interface {
	// ATR is the card's answer to reset as seen at connect time.
	ATR() []byte
	// Transmit sends one C-APDU and returns the R-APDU (data + SW1 SW2).
	// An empty R-APDU is ErrEmptyResponse; a response shorter than two
	// bytes is ErrShortAPDU. If ctx ends first, Transmit returns an error
	// wrapping both ErrUnresponsive and ctx.Err().
	Transmit(ctx context.Context, capdu []byte) ([]byte, error)
	// Status reports whether the card is still present and powered.
	Status() (Status, error)
	// Disconnect ends the session; reset asks the reader to reset the card.
	Disconnect(reset bool) error
}

// Status is a snapshot of a connected card.
type Status struct {
	Reader  string
	Present bool
	Powered bool
	ATR     []byte
}
