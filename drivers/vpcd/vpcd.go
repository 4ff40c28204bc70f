// Package vpcd is the card side of vsmartcard's virtual reader (vpcd): it
// plugs an emulated card into a vpcd slot of a running pcscd so that any
// PC/SC client (the harness, the reference terminal, opensc-tool) talks to it
// as to a real card. Insert connects to the slot's TCP port, Remove closes it.
//
// Wire format (both ways): 2-byte big-endian length + payload. A 1-byte
// message from vpcd is control (0x00 power off, 0x01 power on, 0x02 reset,
// 0x04 get ATR); anything longer is a C-APDU whose reply is the R-APDU.
//
// It is not a PC/SC client; that is package pcsc.
package vpcd

import "context"

// BasePort is the TCP port of vpcd slot 0; slot N listens on BasePort+N.
const BasePort = 35963

// Card is an emulated ICC as vpcd sees it.
type Card interface {
	// ATR is returned for every GET ATR (vpcd polls about every 400 ms).
	// A 0-length frame is never sent (vpcd would block forever): a card
	// with an empty ATR is mute, and the slot reports it as such.
	ATR() []byte
	// Power is called on power on/off and reset events from the reader.
	Power(ev PowerEvent)
	// Transmit answers one C-APDU with an R-APDU. ctx ends when the card is
	// removed. An error means the card is pulled: the slot closes the
	// connection (a card pulled mid-APDU).
	Transmit(ctx context.Context, capdu []byte) ([]byte, error)
}

// PowerEvent is a vpcd control event.
type PowerEvent byte

// Control events sent by vpcd.
const (
	PowerOff PowerEvent = 0x00
	PowerOn  PowerEvent = 0x01
	Reset    PowerEvent = 0x02
)
