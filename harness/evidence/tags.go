package evidence

import (
	"fmt"
	"strings"
)

// format says how a tag's value reads (EMV Book 3 annex A data formats),
// and how it is masked.
type format int

const (
	fmtUnknown  format = iota // not in the table: hex, PAN-like runs masked
	fmtBinary                 // b: hex
	fmtText                   // an / ans: text when printable
	fmtNumeric                // n: BCD digits
	fmtDate                   // n6 YYMMDD
	fmtTime                   // n6 hhmmss
	fmtPAN                    // cn: PAN, masked first 6 / last 4
	fmtTrack2                 // track 2 equivalent: masked PAN = expiry
	fmtWithheld               // track 1, discretionary data, cardholder name: never shown
	fmtPIN                    // PIN data: never shown
	fmtDOL                    // data object list: tag and length pairs
	fmtAFL                    // application file locator
	fmtCID                    // cryptogram information data
	fmtTxnType                // transaction type
)

type tag struct {
	name   string
	format format
}

// tags names the common EMV tags (EMV Book 3 annex A, Book 4).
var tags = map[string]tag{
	"42":   {"Issuer Identification Number", fmtNumeric},
	"4F":   {"Application Identifier (AID)", fmtBinary},
	"50":   {"Application Label", fmtText},
	"56":   {"Track 1 Data", fmtWithheld},
	"57":   {"Track 2 Equivalent Data", fmtTrack2},
	"5A":   {"Application PAN", fmtPAN},
	"5F20": {"Cardholder Name", fmtWithheld},
	"5F24": {"Application Expiration Date", fmtDate},
	"5F25": {"Application Effective Date", fmtDate},
	"5F28": {"Issuer Country Code", fmtNumeric},
	"5F2A": {"Transaction Currency Code", fmtNumeric},
	"5F2D": {"Language Preference", fmtText},
	"5F30": {"Service Code", fmtNumeric},
	"5F34": {"PAN Sequence Number", fmtNumeric},
	"5F36": {"Transaction Currency Exponent", fmtNumeric},
	"61":   {"Application Template", fmtBinary},
	"6F":   {"FCI Template", fmtBinary},
	"70":   {"Record Template", fmtBinary},
	"71":   {"Issuer Script Template 1", fmtBinary},
	"72":   {"Issuer Script Template 2", fmtBinary},
	"73":   {"Directory Discretionary Template", fmtBinary},
	"77":   {"Response Message Template Format 2", fmtBinary},
	"80":   {"Response Message Template Format 1", fmtBinary},
	"82":   {"Application Interchange Profile", fmtBinary},
	"83":   {"Command Template", fmtBinary},
	"84":   {"DF Name", fmtBinary},
	"86":   {"Issuer Script Command", fmtBinary},
	"87":   {"Application Priority Indicator", fmtBinary},
	"88":   {"Short File Identifier", fmtBinary},
	"89":   {"Authorisation Code", fmtText},
	"8A":   {"Authorisation Response Code", fmtText},
	"8C":   {"CDOL1", fmtDOL},
	"8D":   {"CDOL2", fmtDOL},
	"8E":   {"CVM List", fmtBinary},
	"8F":   {"CA Public Key Index", fmtBinary},
	"90":   {"Issuer Public Key Certificate", fmtBinary},
	"91":   {"Issuer Authentication Data", fmtBinary},
	"92":   {"Issuer Public Key Remainder", fmtBinary},
	"93":   {"Signed Static Application Data", fmtBinary},
	"94":   {"Application File Locator", fmtAFL},
	"95":   {"Terminal Verification Results", fmtBinary},
	"97":   {"TDOL", fmtDOL},
	"98":   {"TC Hash Value", fmtBinary},
	"99":   {"Transaction PIN Data", fmtPIN},
	"9A":   {"Transaction Date", fmtDate},
	"9B":   {"Transaction Status Information", fmtBinary},
	"9C":   {"Transaction Type", fmtTxnType},
	"9D":   {"DDF Name", fmtBinary},
	"A5":   {"FCI Proprietary Template", fmtBinary},
	"BF0C": {"FCI Issuer Discretionary Data", fmtBinary},
	"9F01": {"Acquirer Identifier", fmtNumeric},
	"9F02": {"Amount, Authorised", fmtNumeric},
	"9F03": {"Amount, Other", fmtNumeric},
	"9F05": {"Application Discretionary Data", fmtBinary},
	"9F06": {"AID (terminal)", fmtBinary},
	"9F07": {"Application Usage Control", fmtBinary},
	"9F08": {"Application Version Number (card)", fmtBinary},
	"9F09": {"Application Version Number (terminal)", fmtBinary},
	"9F0B": {"Cardholder Name Extended", fmtWithheld},
	"9F0D": {"Issuer Action Code - Default", fmtBinary},
	"9F0E": {"Issuer Action Code - Denial", fmtBinary},
	"9F0F": {"Issuer Action Code - Online", fmtBinary},
	"9F10": {"Issuer Application Data", fmtBinary},
	"9F11": {"Issuer Code Table Index", fmtNumeric},
	"9F12": {"Application Preferred Name", fmtText},
	"9F13": {"Last Online ATC Register", fmtBinary},
	"9F14": {"Lower Consecutive Offline Limit", fmtBinary},
	"9F15": {"Merchant Category Code", fmtNumeric},
	"9F16": {"Merchant Identifier", fmtText},
	"9F17": {"PIN Try Counter", fmtBinary},
	"9F18": {"Issuer Script Identifier", fmtBinary},
	"9F1A": {"Terminal Country Code", fmtNumeric},
	"9F1B": {"Terminal Floor Limit", fmtBinary},
	"9F1C": {"Terminal Identification", fmtText},
	"9F1D": {"Terminal Risk Management Data", fmtBinary},
	"9F1E": {"IFD Serial Number", fmtText},
	"9F1F": {"Track 1 Discretionary Data", fmtWithheld},
	"9F20": {"Track 2 Discretionary Data", fmtWithheld},
	"9F21": {"Transaction Time", fmtTime},
	"9F23": {"Upper Consecutive Offline Limit", fmtBinary},
	"9F26": {"Application Cryptogram", fmtBinary},
	"9F27": {"Cryptogram Information Data", fmtCID},
	"9F32": {"Issuer Public Key Exponent", fmtBinary},
	"9F33": {"Terminal Capabilities", fmtBinary},
	"9F34": {"CVM Results", fmtBinary},
	"9F35": {"Terminal Type", fmtNumeric},
	"9F36": {"Application Transaction Counter", fmtBinary},
	"9F37": {"Unpredictable Number", fmtBinary},
	"9F38": {"PDOL", fmtDOL},
	"9F39": {"POS Entry Mode", fmtNumeric},
	"9F40": {"Additional Terminal Capabilities", fmtBinary},
	"9F41": {"Transaction Sequence Counter", fmtNumeric},
	"9F42": {"Application Currency Code", fmtNumeric},
	"9F44": {"Application Currency Exponent", fmtNumeric},
	"9F45": {"Data Authentication Code", fmtBinary},
	"9F46": {"ICC Public Key Certificate", fmtBinary},
	"9F47": {"ICC Public Key Exponent", fmtBinary},
	"9F48": {"ICC Public Key Remainder", fmtBinary},
	"9F49": {"DDOL", fmtDOL},
	"9F4A": {"SDA Tag List", fmtBinary},
	"9F4B": {"Signed Dynamic Application Data", fmtBinary},
	"9F4C": {"ICC Dynamic Number", fmtBinary},
	"9F4D": {"Log Entry", fmtBinary},
	"9F4E": {"Merchant Name and Location", fmtText},
	"9F4F": {"Log Format", fmtDOL},
	"9F53": {"Transaction Category Code", fmtText},
	"9F66": {"Terminal Transaction Qualifiers", fmtBinary},
	"9F6B": {"Track 2 Data", fmtTrack2},
	"9F6C": {"Card Transaction Qualifiers", fmtBinary},
	"9F6E": {"Form Factor Indicator", fmtBinary},
}

// TagName is the EMV name of a tag (upper-case hex), or "".
func TagName(t string) string { return tags[strings.ToUpper(t)].name }

func tagInfo(t string) tag { return tags[t] }

// render reads v in format f and returns the text and v masked for
// storage (same length).
func (f format) render(v []byte) (string, []byte) {
	switch f {
	case fmtPAN:
		return maskedBCDPAN(v)
	case fmtTrack2:
		return maskedTrack2(v)
	case fmtWithheld:
		return withheldText(len(v)), fill(len(v))
	case fmtPIN:
		return PINWithheld, fill(len(v))
	case fmtUnknown:
		m := MaskBytes(v)
		return nibbles(m), m
	}
	out := append([]byte(nil), v...)
	switch f {
	case fmtText:
		if printable(v) {
			return fmt.Sprintf("%q", string(v)), out
		}
	case fmtNumeric:
		return nibbles(v), out
	case fmtDate:
		if n := nibbles(v); len(n) == 6 && isDigits(n) {
			return "20" + n[0:2] + "-" + n[2:4] + "-" + n[4:6], out
		}
	case fmtTime:
		if n := nibbles(v); len(n) == 6 && isDigits(n) {
			return n[0:2] + ":" + n[2:4] + ":" + n[4:6], out
		}
	case fmtDOL:
		if s, ok := renderDOL(v); ok {
			return s, out
		}
	case fmtAFL:
		if s, ok := renderAFL(v); ok {
			return s, out
		}
	case fmtCID:
		if len(v) == 1 {
			return nibbles(v) + " (" + cidName(v[0]) + ")", out
		}
	case fmtTxnType:
		if len(v) == 1 {
			return nibbles(v) + " (" + txnTypeName(v[0]) + ")", out
		}
	}
	return nibbles(v), out
}

// renderAFL lists AFL entries as "SFI 1 records 1-2 (1 for ODA)".
func renderAFL(v []byte) (string, bool) {
	if len(v) == 0 || len(v)%4 != 0 {
		return "", false
	}
	var parts []string
	for i := 0; i < len(v); i += 4 {
		sfi, first, last, oda := v[i]>>3, v[i+1], v[i+2], v[i+3]
		recs := fmt.Sprintf("record %d", first)
		if last != first {
			recs = fmt.Sprintf("records %d-%d", first, last)
		}
		parts = append(parts, fmt.Sprintf("SFI %d %s (%d for ODA)", sfi, recs, oda))
	}
	return strings.Join(parts, "; "), true
}

// cidName names the cryptogram type in CID's top two bits.
func cidName(b byte) string {
	switch b & 0xC0 {
	case 0x00:
		return "AAC, declined"
	case 0x40:
		return "TC, approved offline"
	case 0x80:
		return "ARQC, go online"
	}
	return "AAR"
}

func txnTypeName(b byte) string {
	switch b {
	case 0x00:
		return "purchase"
	case 0x01:
		return "cash"
	case 0x09:
		return "purchase with cashback"
	case 0x20:
		return "refund"
	case 0x30:
		return "balance inquiry"
	}
	return "other"
}

func printable(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}
