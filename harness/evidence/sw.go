package evidence

import "fmt"

// Status classes of an APDU's status word, for colouring reports.
const (
	ClassOK      = "ok"      // 9000, 61xx
	ClassWarning = "warning" // 62xx, 63xx (but 63Cx), 6Cxx
	ClassError   = "error"   // everything else, and no answer
)

// statusWords maps the status words a payment card gives (ISO 7816-4,
// EMV Book 1 and 3) onto their meaning.
var statusWords = map[uint16]string{
	0x9000: "OK",
	0x6200: "warning, no information given",
	0x6281: "warning: part of the returned data may be corrupted",
	0x6282: "warning: end of file or record reached before Le bytes",
	0x6283: "selected file invalidated (application blocked)",
	0x6284: "warning: FCI not formatted as expected",
	0x6300: "authentication failed",
	0x6400: "execution error, state of memory unchanged",
	0x6500: "execution error, state of memory changed",
	0x6581: "memory failure",
	0x6700: "wrong length",
	0x6800: "function in CLA not supported",
	0x6881: "logical channel not supported",
	0x6882: "secure messaging not supported",
	0x6900: "command not allowed",
	0x6981: "command incompatible with file structure",
	0x6982: "security status not satisfied",
	0x6983: "authentication method blocked (PIN tries exhausted)",
	0x6984: "referenced data invalidated",
	0x6985: "conditions of use not satisfied",
	0x6986: "command not allowed (no current EF)",
	0x6987: "expected secure messaging data objects missing",
	0x6988: "incorrect secure messaging data objects",
	0x6A80: "incorrect parameters in the data field",
	0x6A81: "function not supported (card or application blocked)",
	0x6A82: "file or application not found",
	0x6A83: "record not found",
	0x6A84: "not enough memory space in the file",
	0x6A85: "Lc inconsistent with TLV structure",
	0x6A86: "incorrect parameters P1-P2",
	0x6A87: "Lc inconsistent with P1-P2",
	0x6A88: "referenced data not found",
	0x6B00: "wrong parameters P1-P2",
	0x6D00: "instruction not supported",
	0x6E00: "class not supported",
	0x6F00: "no precise diagnosis",
}

// StatusText is the meaning of a status word and its class (ClassOK,
// ClassWarning or ClassError).
func StatusText(sw uint16) (text, class string) {
	sw1, sw2 := byte(sw>>8), byte(sw)
	switch {
	case sw == 0x9000:
		return "OK", ClassOK
	case sw1 == 0x61:
		return fmt.Sprintf("OK, %d more bytes: GET RESPONSE", sw2), ClassOK
	case sw1 == 0x6C:
		return fmt.Sprintf("wrong Le, the exact length is %d", sw2), ClassWarning
	case sw1 == 0x63 && sw2&0xF0 == 0xC0:
		n := int(sw2 & 0x0F)
		switch n {
		case 0:
			return "wrong PIN, no tries left (PIN blocked)", ClassError
		case 1:
			return "wrong PIN, 1 try left", ClassError
		}
		return fmt.Sprintf("wrong PIN, %d tries left", n), ClassError
	}
	if t, ok := statusWords[sw]; ok {
		if sw1 == 0x62 || sw1 == 0x63 && sw != 0x6300 {
			return t, ClassWarning
		}
		return t, ClassError
	}
	switch sw1 {
	case 0x62, 0x63:
		return "warning", ClassWarning
	case 0x64, 0x65, 0x66:
		return "execution error", ClassError
	case 0x67:
		return "wrong length", ClassError
	case 0x68:
		return "function in CLA not supported", ClassError
	case 0x69:
		return "command not allowed", ClassError
	case 0x6A:
		return "wrong parameters", ClassError
	}
	return "unknown status", ClassError
}
