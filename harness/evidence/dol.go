package evidence

import (
	"fmt"
	"strings"
)

// dolEntry is one tag and length of a data object list.
type dolEntry struct {
	tag string
	n   int
}

// parseDOL reads a data object list (EMV Book 3 §5.4): tags and one-byte
// lengths, no values.
func parseDOL(v []byte) ([]dolEntry, bool) {
	var out []dolEntry
	for i := 0; i < len(v); {
		n := 1
		if v[i]&0x1F == 0x1F {
			for i+n < len(v) && v[i+n]&0x80 != 0 {
				n++
			}
			n++
		}
		if n > 3 || i+n >= len(v) {
			return nil, false
		}
		out = append(out, dolEntry{tag: nibbles(v[i : i+n]), n: int(v[i+n])})
		i += n + 1
	}
	return out, true
}

// renderDOL lists a data object list as "9F02 Amount, Authorised (6); ...".
func renderDOL(v []byte) (string, bool) {
	dol, ok := parseDOL(v)
	if !ok {
		return "", false
	}
	parts := make([]string, len(dol))
	for i, e := range dol {
		s := e.tag
		if name := TagName(e.tag); name != "" {
			s += " " + name
		}
		parts[i] = fmt.Sprintf("%s (%d)", s, e.n)
	}
	return strings.Join(parts, "; "), true
}

// splitDOL decodes data that a terminal built from dol (values only, in
// DOL order) into named fields, each masked by its tag, and returns data
// masked in place. ok is false when data does not have the DOL's length.
func splitDOL(dol, data []byte) (fields []TLVField, masked []byte, ok bool) {
	entries, ok := parseDOL(dol)
	if !ok {
		return nil, nil, false
	}
	total := 0
	for _, e := range entries {
		total += e.n
	}
	if total != len(data) {
		return nil, nil, false
	}
	masked = make([]byte, 0, len(data))
	off := 0
	for _, e := range entries {
		v := data[off : off+e.n]
		off += e.n
		info := tagInfo(e.tag)
		text, m := info.format.render(v)
		fields = append(fields, TLVField{Tag: e.tag, Name: info.name, Value: text})
		masked = append(masked, m...)
	}
	return fields, masked, true
}

// Decoder decodes one card session's APDUs in order. It remembers the data
// object lists the card gave (PDOL, CDOL1, CDOL2, DDOL), so command data
// a terminal builds from them (GPO, GENERATE AC, INTERNAL AUTHENTICATE)
// is decoded tag by tag and masked exactly. The zero Decoder is ready.
type Decoder struct {
	pdol, cdol1, cdol2, ddol []byte
	gac                      int // GENERATE ACs since the last SELECT
}

// Decode decodes one exchange, as DecodeAPDU does, with the DOLs seen so
// far.
func (d *Decoder) Decode(capdu, rapdu []byte) APDUEntry {
	if len(capdu) >= 2 && capdu[1] == 0xA4 {
		*d = Decoder{}
	}
	e := d.command(capdu)
	d.response(&e, rapdu)
	if len(capdu) >= 2 && capdu[1] == 0xAE {
		d.gac++
	}
	return e
}

// commandDOL decodes command data with the DOL that built it; for GPO the
// data is a command template 83 around the PDOL values.
func (d *Decoder) commandDOL(ins byte, data []byte) ([]TLVField, []byte, bool) {
	switch ins {
	case 0xA8:
		if len(data) < 2 || data[0] != 0x83 || int(data[1]) != len(data)-2 {
			return nil, nil, false
		}
		dol := d.pdol
		if len(data) == 2 {
			return []TLVField{{Tag: "83", Name: TagName("83")}}, data, true
		}
		kids, m, ok := splitDOL(dol, data[2:])
		if !ok {
			return nil, nil, false
		}
		return []TLVField{{Tag: "83", Name: TagName("83"), Children: kids}}, append([]byte{0x83, data[1]}, m...), true
	case 0xAE:
		first, second := d.cdol1, d.cdol2
		if d.gac > 0 {
			first, second = second, first
		}
		for _, dol := range [][]byte{first, second} {
			if f, m, ok := splitDOL(dol, data); ok && dol != nil {
				return f, m, true
			}
		}
	case 0x88:
		dol := d.ddol
		if dol == nil {
			dol = []byte{0x9F, 0x37, 0x04} // the default DDOL
		}
		return splitDOL(dol, data)
	}
	return nil, nil, false
}

// remember keeps the DOLs found anywhere in a response.
func (d *Decoder) remember(list []TLV) {
	for _, t := range list {
		switch t.Tag {
		case "9F38":
			d.pdol = append([]byte(nil), t.Value...)
		case "8C":
			d.cdol1 = append([]byte(nil), t.Value...)
		case "8D":
			d.cdol2 = append([]byte(nil), t.Value...)
		case "9F49":
			d.ddol = append([]byte(nil), t.Value...)
		}
		d.remember(t.Children)
	}
}
