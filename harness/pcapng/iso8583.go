package pcapng

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/moov-io/iso8583"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/evidence"
)

// ErrPack is returned when a host entry cannot be packed back into an
// ISO 8583 message.
var ErrPack = errors.New("pcapng: cannot pack ISO 8583 message")

// PackHost rebuilds the wire form of a masked host entry in the poshil
// ISO 8583 dialect (acquirer.Spec), without the 2-byte length prefix.
// Field 52 is never written, and fields whose value is masked (PAN, track
// 2: a '*' in a numeric field that Wireshark's iso8583 dissector would
// call malformed) are left out too; omitted lists them. The bitmap shows
// what was written.
func PackHost(e evidence.HostEntry) (msgBytes []byte, omitted []int, err error) {
	if e.MTI == "" {
		return nil, nil, fmt.Errorf("%w: no MTI (message #%d was not decoded)", ErrPack, e.Seq)
	}
	msg := iso8583.NewMessage(acquirer.Spec)
	msg.MTI(e.MTI)
	for _, f := range e.Fields {
		if f.ID == 52 || strings.Contains(f.Value, "*") {
			omitted = append(omitted, f.ID)
			continue
		}
		spec, ok := acquirer.Spec.Fields[f.ID]
		if !ok {
			return nil, nil, fmt.Errorf("%w: message #%d: field %d not in the dialect", ErrPack, e.Seq, f.ID)
		}
		if f.ID == 55 {
			b, err := hex.DecodeString(f.Value)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: message #%d: field 55: %w", ErrPack, e.Seq, err)
			}
			if err := msg.BinaryField(55, b); err != nil {
				return nil, nil, fmt.Errorf("%w: message #%d: field 55: %w", ErrPack, e.Seq, err)
			}
			continue
		}
		v := f.Value
		s := spec.Spec()
		if _, err := s.Pref.EncodeLength(s.Length, len(v)); err != nil && len(v) < s.Length {
			v += strings.Repeat(" ", s.Length-len(v)) // fixed-length text, space padded
		}
		if err := msg.Field(f.ID, v); err != nil {
			return nil, nil, fmt.Errorf("%w: message #%d: field %d: %w", ErrPack, e.Seq, f.ID, err)
		}
	}
	b, err := msg.Pack()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: message #%d: %w", ErrPack, e.Seq, err)
	}
	return b, omitted, nil
}
