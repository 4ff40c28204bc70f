package evidence

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// APDUEntry is one command to the card and its answer, decoded and masked.
// CAPDU and RAPDU hold masked bytes in hex, so the entry can be written
// out again (package pcapng) without ever holding card secrets.
type APDUEntry struct {
	// At is when the command reached the card, since the scenario started.
	At time.Duration `json:"at_ns"`
	// Took is how long the card (and any fault on it) took to answer.
	Took time.Duration `json:"took_ns,omitempty"`
	// Command names the instruction: SELECT, GPO, READ RECORD, VERIFY,
	// GENERATE AC, GET DATA, GET RESPONSE, ... or "INS 12" when unknown.
	Command string `json:"command"`
	// Detail reads the parameters: "2PAY.SYS.DDF01", "SFI 1 record 2",
	// "ARQC", "plaintext PIN".
	Detail string `json:"detail,omitempty"`
	// CAPDU is the command in hex, masked. For a PIN-carrying command
	// (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER) the data field
	// is left out: CAPDU is the header, Lc and Le if any, and Withheld
	// counts the bytes left out after Lc.
	CAPDU    string `json:"capdu"`
	Withheld int    `json:"withheld,omitempty"`
	// Data is the command data decoded: BER-TLV (GPO), or split by the
	// card's DOL (GPO's PDOL values, GENERATE AC's CDOL data) when the
	// entry came from a Decoder that saw the DOL.
	Data []TLVField `json:"data,omitempty"`
	// RAPDU is the response data in hex, masked, without the status word.
	RAPDU string `json:"rapdu,omitempty"`
	// Response is RAPDU decoded as BER-TLV with EMV tag names.
	Response []TLVField `json:"response,omitempty"`
	// SW is the status word in hex ("9000", "63C2"); Status says what it
	// means and Class how it reads (ok, warning, error).
	SW     string `json:"sw,omitempty"`
	Status string `json:"status,omitempty"`
	Class  string `json:"class"`
	// Error is set when the card gave no proper answer (pulled, mute, an
	// R-APDU without status word).
	Error string `json:"error,omitempty"`
}

// instructions names the INS bytes of ISO 7816-4 and EMV.
var instructions = map[byte]string{
	0xA4: "SELECT", 0xA8: "GPO", 0xB2: "READ RECORD", 0x20: "VERIFY",
	0xAE: "GENERATE AC", 0xCA: "GET DATA", 0xC0: "GET RESPONSE",
	0x84: "GET CHALLENGE", 0x88: "INTERNAL AUTHENTICATE", 0x82: "EXTERNAL AUTHENTICATE",
	0x24: "CHANGE REFERENCE DATA", 0x2C: "RESET RETRY COUNTER", 0x1E: "APPLICATION BLOCK",
	0x18: "APPLICATION UNBLOCK", 0x16: "CARD BLOCK", 0xDA: "PUT DATA", 0xDC: "UPDATE RECORD",
	0xB0: "READ BINARY", 0xD6: "UPDATE BINARY", 0x70: "MANAGE CHANNEL", 0xE2: "APPEND RECORD",
	0x22: "MANAGE SECURITY ENVIRONMENT", 0x21: "VERIFY",
}

// plainData are the instructions whose command data cannot hold card data
// (an AID, a tag): shown as sent. Other command data not decoded by a
// DOL gets MaskBytes.
var plainData = map[byte]bool{0xA4: true, 0xB2: true, 0xCA: true, 0xC0: true, 0x84: true, 0x70: true}

// pinINS are the instructions whose data field carries a PIN or PIN block.
var pinINS = map[byte]bool{0x20: true, 0x21: true, 0x24: true, 0x2C: true}

// DecodeAPDU decodes a C-APDU and its R-APDU (data + SW1 SW2; nil when
// the card gave none) into a masked entry. At, Took and Error are the
// caller's to fill.
//
// DecodeAPDU decodes one exchange on its own; a Decoder decodes a card
// session and reads GPO and GENERATE AC data with the card's DOLs.
func DecodeAPDU(capdu, rapdu []byte) APDUEntry {
	var d Decoder
	return d.Decode(capdu, rapdu)
}

func (d *Decoder) command(c []byte) APDUEntry {
	if len(c) < 4 {
		return APDUEntry{Command: "malformed", CAPDU: nibbles(MaskBytes(c)), Class: ClassError,
			Error: fmt.Sprintf("C-APDU of %d bytes, shorter than a header", len(c))}
	}
	cla, ins, p1, p2 := c[0], c[1], c[2], c[3]
	e := APDUEntry{Command: instructions[ins]}
	if e.Command == "" {
		e.Command = fmt.Sprintf("INS %02X", ins)
	}
	if cla == 0xFF {
		e.Command = fmt.Sprintf("reader command (CLA FF INS %02X)", ins)
	}
	// Split the body: case 1 (none), 2 (Le), 3 (Lc data), 4 (Lc data Le).
	var data []byte
	lcEnd := 4
	switch {
	case len(c) == 4, len(c) == 5:
	case c[4] != 0 && len(c) == 5+int(c[4]):
		data, lcEnd = c[5:], 5
	case c[4] != 0 && len(c) == 6+int(c[4]):
		data, lcEnd = c[5:5+int(c[4])], 5
	default: // extended length or inconsistent: treat everything after the header as data
		data, lcEnd = c[4:], 4
		e.Error = fmt.Sprintf("C-APDU of %d bytes: Lc does not match (extended length?)", len(c))
	}
	e.Detail = commandDetail(ins, p1, p2, data)
	if pinINS[ins] && len(data) > 0 {
		e.CAPDU = nibbles(c[:lcEnd]) + nibbles(c[lcEnd+len(data):]) // Le, if any
		e.Withheld = len(data)
		e.Detail = strings.TrimSpace(e.Detail + " " + PINWithheld)
		return e
	}
	masked := append([]byte(nil), c...)
	if len(data) > 0 {
		fields, m, ok := d.commandDOL(ins, data)
		if !ok && (ins == 0xA8 || ins == 0xDA) {
			var err error
			fields, m, err = DecodeTLV(data)
			ok = err == nil
		}
		if !ok {
			fields, m = nil, data
			if !plainData[ins] {
				m = MaskBytes(data)
			}
		}
		e.Data = fields
		copy(masked[lcEnd:], m)
	}
	e.CAPDU = nibbles(masked)
	return e
}

// commandDetail reads the parameters of well-known commands.
func commandDetail(ins, p1, p2 byte, data []byte) string {
	switch ins {
	case 0xA4:
		name := nibbles(data)
		if len(data) > 0 && printable(data) {
			name = string(data)
		}
		if p2&0x03 == 0x02 {
			name += " (next)"
		}
		return name
	case 0xB2:
		return fmt.Sprintf("SFI %d record %d", p2>>3, p1)
	case 0x20, 0x21:
		switch p2 {
		case 0x80:
			return "plaintext PIN"
		case 0x88:
			return "enciphered PIN"
		}
		return fmt.Sprintf("reference %02X", p2)
	case 0xAE:
		s := [...]string{"AAC", "TC", "ARQC", "RFU"}[p1>>6]
		if p1&0x10 != 0 {
			s += " with CDA"
		}
		return s
	case 0xCA:
		t := fmt.Sprintf("%02X%02X", p1, p2)
		if p1 == 0 {
			t = fmt.Sprintf("%02X", p2)
		}
		if n := TagName(t); n != "" {
			return t + " " + n
		}
		return t
	}
	return ""
}

func (d *Decoder) response(e *APDUEntry, r []byte) {
	if r == nil {
		if e.Class == "" {
			e.Class = ClassError
		}
		return
	}
	if len(r) < 2 {
		e.RAPDU = nibbles(MaskBytes(r))
		e.Class = ClassError
		e.Error = joinErr(e.Error, fmt.Sprintf("R-APDU of %d bytes, no status word", len(r)))
		return
	}
	sw := uint16(r[len(r)-2])<<8 | uint16(r[len(r)-1])
	e.SW = fmt.Sprintf("%04X", sw)
	e.Status, e.Class = StatusText(sw)
	if e.Error != "" {
		e.Class = ClassError
	}
	data := r[:len(r)-2]
	if len(data) == 0 {
		return
	}
	list, fields, masked, err := decodeTLV(data)
	if err == nil {
		e.Response = fields
		d.remember(list)
	}
	e.RAPDU = nibbles(masked)
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Summary is the entry on one line: "SELECT 2PAY.SYS.DDF01 -> 9000 OK".
func (e APDUEntry) Summary() string {
	s := e.Command
	if e.Detail != "" {
		s += " " + e.Detail
	}
	switch {
	case e.SW != "":
		s += " -> " + e.SW + " " + e.Status
	case e.Error == "":
		s += " -> no answer"
	}
	if e.Error != "" {
		s += " (" + e.Error + ")"
	}
	return s
}

// CommandBytes is the masked C-APDU as bytes; withheld PIN data is
// replaced by as many FF bytes, so lengths stay consistent.
func (e APDUEntry) CommandBytes() []byte {
	b := maskedHex(e.CAPDU)
	if e.Withheld == 0 {
		return b
	}
	at := min(5, len(b)) // after Lc; after the header when Lc made no sense
	out := append(append([]byte(nil), b[:at]...), fill(e.Withheld)...)
	return append(out, b[at:]...)
}

// ResponseBytes is the masked R-APDU (data + status word) as bytes, or
// nil when the card gave no answer.
func (e APDUEntry) ResponseBytes() []byte {
	b := maskedHex(e.RAPDU)
	if e.SW == "" {
		return b
	}
	sw, _ := hex.DecodeString(e.SW)
	return append(b, sw...)
}

// maskedHex decodes hex in which a scrub may have hidden digits ('*',
// secrets.Mask): a hidden digit reads as F, as masked BCD does.
func maskedHex(s string) []byte {
	b, _ := hex.DecodeString(strings.ReplaceAll(s, "*", "F"))
	return b
}
