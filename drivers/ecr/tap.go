package ecr

import (
	"bytes"
	"time"
)

// Direction says which way bytes went, seen from this end of the link.
type Direction string

// Directions of a TapEvent.
const (
	In  Direction = "in"  // received from the peer
	Out Direction = "out" // sent to the peer
)

// TapKind classifies a TapEvent.
type TapKind string

// Kinds of TapEvent.
const (
	TapFrame      TapKind = "frame"      // a good frame (in: ACKed and delivered; out: first transmission)
	TapAck        TapKind = "ack"        // an ACK byte
	TapNak        TapKind = "nak"        // a NAK byte
	TapBadFrame   TapKind = "bad-frame"  // a damaged frame; Err says why. In: NAKed if it was complete, else dropped
	TapRetransmit TapKind = "retransmit" // an outgoing frame sent again after NAK or ACK timeout
	TapDuplicate  TapKind = "duplicate"  // a received copy of the previous frame: ACKed again, not delivered
	TapGarbage    TapKind = "garbage"    // received bytes outside any frame, skipped
	TapOverflow   TapKind = "overflow"   // a received message dropped because nobody called Receive
)

// TapEvent is one byte-level event on a Link, for transcripts. Raw is a
// copy the receiver may keep. Events are redacted (see Redact) before the
// Tap sees them: KEY digits never leave the package through a Tap.
type TapEvent struct {
	Dir  Direction
	Time time.Time
	Kind TapKind
	Raw  []byte   // the bytes on the wire (redacted)
	Msg  *Message // the decoded message as on the wire (seq included), or nil
	Err  error    // why a frame was bad, or why writing an ACK/NAK failed
}

// keysField is the field that carries key presses, PIN digits included.
const keysField = "keys"

// Redact masks key presses in ev: every digit in the value of a keys field
// becomes '*', in Msg and in Raw (found by the text "keys=", so damaged
// frames and garbage are covered too), and the LRC of a masked frame is
// recomputed so it no longer encodes the digits. Named keys (E, C, X) stay
// visible. Redact is idempotent and does not modify ev's slices.
func Redact(ev TapEvent) TapEvent {
	if ev.Msg != nil {
		if v, ok := ev.Msg.Get(keysField); ok {
			m := ev.Msg.With(keysField, maskDigits(v))
			ev.Msg = &m
		}
	}
	if i := bytes.Index(ev.Raw, []byte(keysField+"=")); i >= 0 {
		raw := append([]byte(nil), ev.Raw...)
		for i >= 0 {
			j := i + len(keysField) + 1
			for ; j < len(raw) && raw[j] >= 0x20; j++ {
				if raw[j] >= '0' && raw[j] <= '9' {
					raw[j] = '*'
				}
			}
			k := bytes.Index(raw[j:], []byte(keysField+"="))
			if k < 0 {
				break
			}
			i = j + k
		}
		if n := len(raw); n >= 3 && raw[0] == STX && raw[n-2] == ETX {
			raw[n-1] = LRC(raw[1 : n-2])
		}
		ev.Raw = raw
	}
	return ev
}

func maskDigits(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '*'
		}
	}
	return string(b)
}
