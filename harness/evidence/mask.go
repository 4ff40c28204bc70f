package evidence

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/poshil/poshil/harness/secrets"
)

// PINWithheld replaces PIN data (a VERIFY's PIN block, ISO 8583 field 52,
// EMV tag 99) wherever evidence would show it.
const PINWithheld = "[PIN block withheld]"

// MaskBytes returns a copy of b, same length, in which anything that may
// be a card number is masked: runs of 13 or more ASCII digits (middle
// digits become '*') and runs of 13 or more BCD digit nibbles (middle
// nibbles become F), first 6 and last 4 kept. Unlike secrets.MaskText it
// masks any run (no Luhn check), and runs longer than 19 too: in raw bytes a PAN often sits next to other
// digits (a BCD length, an amount). It is the fallback for data that is
// neither BER-TLV nor built from a known data object list. Printable text
// gets the ASCII scan only.
func MaskBytes(b []byte) []byte {
	out := maskASCIIRuns(b)
	if printable(b) {
		return out // text: most letters read as BCD digits, so no BCD scan
	}
	return maskBCDRuns(out)
}

// maskASCIIRuns masks runs of 13 or more ASCII digits, first 6 / last 4 kept.
func maskASCIIRuns(b []byte) []byte {
	out := append([]byte(nil), b...)
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= 13 {
			for i := start + 6; i < end-4; i++ {
				out[i] = '*'
			}
		}
		start = -1
	}
	for i, c := range out {
		if c >= '0' && c <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(out))
	return out
}

// maskBCDRuns masks runs of 13 or more decimal nibbles, first 6 / last 4 kept,
// the middle nibbles set to F.
func maskBCDRuns(b []byte) []byte {
	nib := []byte(strings.ToUpper(hex.EncodeToString(b)))
	start := -1
	changed := false
	flush := func(end int) {
		if start >= 0 && end-start >= 13 {
			for i := start + 6; i < end-4; i++ {
				nib[i] = 'F'
				changed = true
			}
		}
		start = -1
	}
	for i, c := range nib {
		if c >= '0' && c <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(nib))
	if !changed {
		return append([]byte(nil), b...)
	}
	out, _ := hex.DecodeString(string(nib))
	return out
}

// nibbles is b as upper-case hex digits.
func nibbles(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// fromNibbles packs hex digits back into bytes (an odd count gets an F).
func fromNibbles(s string) []byte {
	if len(s)%2 == 1 {
		s += "F"
	}
	out, _ := hex.DecodeString(s)
	return out
}

// maskedBCDPAN masks a compressed-numeric PAN (EMV tag 5A): the text is the
// masked PAN, the bytes keep their length with masked nibbles set to F.
func maskedBCDPAN(v []byte) (text string, masked []byte) {
	n := nibbles(v)
	pan := strings.TrimRight(n, "F")
	if !isDigits(pan) {
		return withheldText(len(v)), fill(len(v))
	}
	m := secrets.MaskPAN(pan)
	return m, fromNibbles(strings.ReplaceAll(m, "*", "F") + n[len(pan):])
}

// maskedTrack2 masks track 2 equivalent data (EMV tags 57 and 9F6B): the
// text is masked PAN + "=" + expiry (YYMM); service code and discretionary
// data are dropped. The bytes keep their length: masked PAN nibbles, the
// separator and the expiry, every later nibble F.
func maskedTrack2(v []byte) (text string, masked []byte) {
	n := nibbles(v)
	sep := strings.IndexByte(n, 'D')
	if sep <= 0 || !isDigits(n[:sep]) {
		return withheldText(len(v)), fill(len(v))
	}
	pan := secrets.MaskPAN(n[:sep])
	exp := ""
	if len(n) >= sep+5 && isDigits(n[sep+1:sep+5]) {
		exp = n[sep+1 : sep+5]
	}
	text = pan + "=" + exp
	keep := strings.ReplaceAll(pan, "*", "F") + "D" + exp
	return text, fromNibbles(keep + strings.Repeat("F", len(n)-len(keep)))
}

// maskTrack2Text masks a track 2 string ("PAN=YYMM..." or with 'D') to the
// masked PAN, the separator and the expiry.
func maskTrack2Text(t string) string {
	sep := strings.IndexAny(t, "=D")
	if sep <= 0 {
		return "[track 2 withheld]"
	}
	exp := ""
	if len(t) >= sep+5 {
		exp = t[sep+1 : sep+5]
	}
	return secrets.MaskPAN(t[:sep]) + "=" + exp
}

func withheldText(n int) string {
	if n == 1 {
		return "[withheld: 1 byte]"
	}
	return "[withheld: " + strconv.Itoa(n) + " bytes]"
}

// fill is n bytes of 0xFF, standing in for withheld data.
func fill(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = 0xFF
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
