package ecr

import (
	"errors"
	"fmt"
	"strings"
)

// Control bytes of the wire format.
const (
	STX = 0x02 // start of frame
	ETX = 0x03 // end of payload; the LRC byte follows
	ACK = 0x06 // frame received intact
	NAK = 0x15 // frame received damaged: send it again
	FS  = 0x1C // precedes each key=value field
)

// MaxPayload is the largest payload (kind and fields, without STX, ETX and
// LRC) a frame may carry.
const MaxPayload = 1024

// Errors of the codec, for errors.Is.
var (
	// ErrFraming: the bytes are not STX payload ETX LRC.
	ErrFraming = errors.New("ecr: bad framing")
	// ErrLRC: the LRC byte does not match the payload.
	ErrLRC = errors.New("ecr: LRC mismatch")
	// ErrTooLong: the payload exceeds MaxPayload.
	ErrTooLong = errors.New("ecr: payload too long")
	// ErrSyntax: the payload is not KIND{FS key=value}, or a kind, key or
	// value uses characters the format does not allow.
	ErrSyntax = errors.New("ecr: bad message syntax")
)

// LRC is the check byte of a payload: the XOR of every payload byte and ETX.
func LRC(payload []byte) byte {
	x := byte(ETX)
	for _, b := range payload {
		x ^= b
	}
	return x
}

// Encode renders m as one complete frame: STX payload ETX LRC. Kinds are
// [A-Z0-9_]+, keys [a-z0-9_]+ (each at most once), values printable ASCII
// (0x20-0x7E); nothing is escaped, so anything else is refused with
// ErrSyntax. A payload over MaxPayload is refused with ErrTooLong.
func Encode(m Message) ([]byte, error) {
	if err := checkKind(string(m.Kind)); err != nil {
		return nil, err
	}
	n := len(m.Kind)
	for i, f := range m.Fields {
		if err := checkField(f, m.Fields[:i]); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Kind, err)
		}
		n += 2 + len(f.Key) + len(f.Value)
	}
	if n > MaxPayload {
		return nil, fmt.Errorf("%s: %w: %d bytes (max %d)", m.Kind, ErrTooLong, n, MaxPayload)
	}
	b := make([]byte, 0, n+3)
	b = append(b, STX)
	b = append(b, m.Kind...)
	for _, f := range m.Fields {
		b = append(b, FS)
		b = append(b, f.Key...)
		b = append(b, '=')
		b = append(b, f.Value...)
	}
	b = append(b, ETX, LRC(b[1:]))
	return b, nil
}

// Error texts never quote payload bytes (a damaged KEY frame may hold PIN
// digits), only positions and the offending control byte.

// Decode parses one complete frame (exactly STX payload ETX LRC, nothing
// before or after). Errors wrap ErrFraming, ErrTooLong, ErrLRC or ErrSyntax,
// checked in that order.
func Decode(frame []byte) (Message, error) {
	if len(frame) < 3 || frame[0] != STX || frame[len(frame)-2] != ETX {
		return Message{}, fmt.Errorf("%w: want STX payload ETX LRC (%d bytes)", ErrFraming, len(frame))
	}
	payload := frame[1 : len(frame)-2]
	if len(payload) > MaxPayload {
		return Message{}, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLong, len(payload), MaxPayload)
	}
	for i, b := range payload {
		if b == STX || b == ETX {
			return Message{}, fmt.Errorf("%w: control byte %#02x inside payload at %d", ErrFraming, b, i)
		}
	}
	if got, want := frame[len(frame)-1], LRC(payload); got != want {
		return Message{}, fmt.Errorf("%w: got %#02x, want %#02x", ErrLRC, got, want)
	}
	return parsePayload(payload)
}

// parsePayload splits KIND{FS key=value} and checks every part.
func parsePayload(payload []byte) (Message, error) {
	parts := strings.Split(string(payload), string(rune(FS)))
	m := Message{Kind: Kind(parts[0])}
	if err := checkKind(parts[0]); err != nil {
		return Message{}, err
	}
	for i, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return Message{}, fmt.Errorf("%s: %w: field %d has no '='", m.Kind, ErrSyntax, i+1)
		}
		f := Field{Key: k, Value: v}
		if err := checkField(f, m.Fields); err != nil {
			return Message{}, fmt.Errorf("%s: %w", m.Kind, err)
		}
		m.Fields = append(m.Fields, f)
	}
	return m, nil
}

func checkKind(k string) error {
	if k == "" {
		return fmt.Errorf("%w: empty kind", ErrSyntax)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: kind: byte %#02x at %d not in [A-Z0-9_]", ErrSyntax, c, i)
		}
	}
	return nil
}

// checkField checks f's characters and that its key is not among before.
func checkField(f Field, before []Field) error {
	if f.Key == "" {
		return fmt.Errorf("%w: empty key", ErrSyntax)
	}
	for i := 0; i < len(f.Key); i++ {
		c := f.Key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: key: byte %#02x at %d not in [a-z0-9_]", ErrSyntax, c, i)
		}
	}
	for i := 0; i < len(f.Value); i++ {
		if c := f.Value[i]; c < 0x20 || c > 0x7E {
			return fmt.Errorf("%w: field %s: byte %#02x is not printable ASCII", ErrSyntax, f.Key, c)
		}
	}
	for _, b := range before {
		if b.Key == f.Key {
			return fmt.Errorf("%w: field %s twice", ErrSyntax, f.Key)
		}
	}
	return nil
}
