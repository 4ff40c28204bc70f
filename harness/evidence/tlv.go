package evidence

import (
	"errors"
	"fmt"
	"strings"
)

// ErrTLV reports bytes that are not valid BER-TLV (EMV Book 3 annex B).
var ErrTLV = errors.New("evidence: malformed BER-TLV")

// maxTLVDepth bounds nesting of constructed objects.
const maxTLVDepth = 8

// TLV is one decoded BER-TLV data object.
type TLV struct {
	// Tag is the tag in upper-case hex, e.g. "9F26".
	Tag   string
	Value []byte
	// Children holds the objects inside a constructed tag.
	Children []TLV

	off int // offset of Value in the buffer given to ParseTLV
}

// Constructed reports whether the tag has the constructed bit (b6 of its
// first byte).
func (t TLV) Constructed() bool {
	if len(t.Tag) < 2 {
		return false
	}
	return (unhex(t.Tag[0])<<4|unhex(t.Tag[1]))&0x20 != 0
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

// ParseTLV decodes a sequence of BER-TLV objects, descending into
// constructed ones. Every length is checked against what is left, so it
// never panics on hostile input (moov-io/bertlv v0.1.0's Decode does on a
// bad long-form length). Padding bytes 00 and FF between objects are
// skipped, as EMV allows.
func ParseTLV(b []byte) ([]TLV, error) {
	return parseTLV(b, 0, 0)
}

func parseTLV(b []byte, base, depth int) ([]TLV, error) {
	if depth > maxTLVDepth {
		return nil, fmt.Errorf("%w: nested more than %d deep", ErrTLV, maxTLVDepth)
	}
	var out []TLV
	i := 0
	for i < len(b) {
		if b[i] == 0x00 || b[i] == 0xFF {
			i++
			continue
		}
		tagLen := 1
		if b[i]&0x1F == 0x1F {
			for {
				if i+tagLen >= len(b) {
					return nil, fmt.Errorf("%w: truncated tag at byte %d", ErrTLV, base+i)
				}
				tagLen++
				if tagLen > 3 {
					return nil, fmt.Errorf("%w: tag longer than 3 bytes at byte %d", ErrTLV, base+i)
				}
				if b[i+tagLen-1]&0x80 == 0 {
					break
				}
			}
		}
		tag := nibbles(b[i : i+tagLen])
		j := i + tagLen
		if j >= len(b) {
			return nil, fmt.Errorf("%w: tag %s: missing length", ErrTLV, tag)
		}
		l, lenLen := int(b[j]), 1
		if b[j] >= 0x80 {
			k := int(b[j] & 0x7F)
			if k == 0 || k > 3 || j+1+k > len(b) {
				return nil, fmt.Errorf("%w: tag %s: bad length byte %02X", ErrTLV, tag, b[j])
			}
			l = 0
			for _, c := range b[j+1 : j+1+k] {
				l = l<<8 | int(c)
			}
			lenLen = 1 + k
		}
		v := j + lenLen
		if l > len(b)-v {
			return nil, fmt.Errorf("%w: tag %s: value of %d bytes, %d left", ErrTLV, tag, l, len(b)-v)
		}
		t := TLV{Tag: tag, Value: b[v : v+l], off: base + v}
		if b[i]&0x20 != 0 {
			kids, err := parseTLV(t.Value, base+v, depth+1)
			if err != nil {
				return nil, fmt.Errorf("in %s: %w", tag, err)
			}
			t.Children = kids
		}
		out = append(out, t)
		i = v + l
	}
	return out, nil
}

// TLVField is a decoded data object as evidence shows it: tag, EMV name and
// a rendered, masked value.
type TLVField struct {
	Tag      string     `json:"tag"`
	Name     string     `json:"name,omitempty"`
	Value    string     `json:"value,omitempty"`
	Children []TLVField `json:"children,omitempty"`
}

// DecodeTLV decodes b as BER-TLV into masked, named fields and returns b
// masked in place (same length and structure, sensitive values replaced:
// see the package documentation). When b is not BER-TLV, fields is nil,
// masked is MaskBytes(b) and err says why.
func DecodeTLV(b []byte) (fields []TLVField, masked []byte, err error) {
	_, fields, masked, err = decodeTLV(b)
	return fields, masked, err
}

// decodeTLV is DecodeTLV that also returns the parsed objects (whose
// values alias b, unmasked: for reading DOLs, never for storing).
func decodeTLV(b []byte) (list []TLV, fields []TLVField, masked []byte, err error) {
	list, err = ParseTLV(b)
	if err != nil {
		return nil, nil, MaskBytes(b), err
	}
	masked = append([]byte(nil), b...)
	return list, renderTLV(list, masked), masked, nil
}

// renderTLV names and renders list, writing masked values into buf.
func renderTLV(list []TLV, buf []byte) []TLVField {
	out := make([]TLVField, 0, len(list))
	for _, t := range list {
		info := tagInfo(t.Tag)
		f := TLVField{Tag: t.Tag, Name: info.name}
		if t.Children != nil || t.Constructed() {
			f.Children = renderTLV(t.Children, buf)
			out = append(out, f)
			continue
		}
		text, masked := info.format.render(t.Value)
		copy(buf[t.off:t.off+len(t.Value)], masked)
		f.Value = text
		out = append(out, f)
	}
	return out
}

// FormatTLV renders fields as indented lines "tag name: value", for text
// reports and logs.
func FormatTLV(fields []TLVField) string {
	var b strings.Builder
	var walk func([]TLVField, int)
	walk = func(fs []TLVField, depth int) {
		for _, f := range fs {
			b.WriteString(strings.Repeat("  ", depth))
			b.WriteString(f.Tag)
			if f.Name != "" {
				b.WriteString(" " + f.Name)
			}
			if f.Children == nil {
				b.WriteString(": " + f.Value)
			}
			b.WriteByte('\n')
			walk(f.Children, depth+1)
		}
	}
	walk(fields, 0)
	return b.String()
}
