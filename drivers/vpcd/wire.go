package vpcd

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Control bytes vpcd sends as 1-byte messages.
const (
	ctrlPowerOff byte = 0x00
	ctrlPowerOn  byte = 0x01
	ctrlReset    byte = 0x02
	ctrlGetATR   byte = 0x04
)

// maxFrame is the largest payload a 2-byte length can carry.
const maxFrame = 0xFFFF

// maxATR is the longest ATR ISO 7816-3 allows (and vpcd accepts).
const maxATR = 33

// MuteATR is what a slot answers to GET ATR for a card whose ATR is empty.
// vpcd must never get a 0-length frame (it would block forever), and a
// closed socket would read as "no card". An answer longer than the 33
// bytes ISO 7816-3 allows is what a mute card looks like to the reader:
// a card is present, but powering it fails, and SCardConnect reports
// SCARD_W_UNPOWERED_CARD (pcsc.ErrUnpowered).
var MuteATR = append([]byte{0x3B}, make([]byte, maxATR)...)

// readFrame reads one length-prefixed message. buf is reused when large
// enough.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// appendFrame appends the framed payload to dst. An empty or oversized
// payload is ErrFrame: a 0-length frame would block vpcd forever.
func appendFrame(dst, payload []byte) ([]byte, error) {
	if len(payload) == 0 || len(payload) > maxFrame {
		return dst, fmt.Errorf("%w: payload of %d bytes", ErrFrame, len(payload))
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(payload)))
	return append(dst, payload...), nil
}

// serve answers vpcd's messages from r on w until the stream ends or the
// card fails. ctx is handed to the card's Transmit. The returned error says
// why serving stopped (never nil).
func serve(ctx context.Context, r *bufio.Reader, w io.Writer, card Card) error {
	var in, out []byte
	for {
		msg, err := readFrame(r, in)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: %w", ErrReaderClosed, err)
			}
			return err
		}
		in = msg[:0]
		var reply []byte
		switch len(msg) {
		case 0:
			continue // vpcd never sends one; nothing to answer
		case 1:
			switch msg[0] {
			case ctrlPowerOff, ctrlPowerOn, ctrlReset:
				card.Power(PowerEvent(msg[0]))
				continue // vpcd expects no answer
			case ctrlGetATR:
				reply = card.ATR()
				if len(reply) == 0 {
					reply = MuteATR
				}
			default:
				continue // unknown control: no answer expected
			}
		default:
			rapdu, err := card.Transmit(ctx, msg)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrCardPulled, err)
			}
			if len(rapdu) == 0 {
				return fmt.Errorf("%w: empty R-APDU", ErrCardPulled)
			}
			reply = rapdu
		}
		out, err = appendFrame(out[:0], reply)
		if err != nil {
			return err
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
}
