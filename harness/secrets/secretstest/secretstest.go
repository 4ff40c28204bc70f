// Package secretstest finds card secrets in written outputs, for tests
// that prove an output holds none: the inserted card's PAN as digits
// (grouped or not), as hex bytes, as ASCII hex and as raw BCD, its name,
// and its track 2 discretionary data.
package secretstest

import (
	"bytes"
	"encoding/hex"
	"strings"

	"github.com/poshil/poshil/harness/secrets"
)

// Visa is the secrets of fixtures/cards/visa-credit.yaml (as
// emvcard.Profile.Secrets gives them).
var Visa = secrets.Card{
	PAN:        "4761739001010010",
	Track1:     "B4761739001010010^VISA ACQUIRER TEST/CARD 01^4912201101001230000000000",
	Track2:     "4761739001010010=49122011010012300000",
	ChipTrack2: "4761739001010010D491220100000",
	Name:       "VISA ACQUIRER TEST/CARD 01",
	PIN:        "1234",
}

// Find lists each way c's secrets appear in data (empty: none). It looks
// at data as it is and with separators and "0x" prefixes removed, so
// "4761 7390 0101 0010" and "47:61:73:90:..." count as the PAN.
func Find(data []byte, c secrets.Card) []string {
	var found []string
	norm := Normal(string(data))
	up := strings.ToUpper(string(data))
	if c.PAN != "" {
		if strings.Contains(norm, c.PAN) {
			found = append(found, "PAN as digits")
		}
		if strings.Contains(norm, strings.ToUpper(hex.EncodeToString([]byte(c.PAN)))) {
			found = append(found, "PAN as ASCII hex")
		}
		if bcd, err := hex.DecodeString(padF(c.PAN)); err == nil && bytes.Contains(data, bcd) {
			found = append(found, "PAN as BCD bytes")
		}
	}
	if c.Name != "" && strings.Contains(up, strings.ToUpper(c.Name)) {
		found = append(found, "cardholder name")
	}
	if c.Name != "" && strings.Contains(norm, strings.ToUpper(hex.EncodeToString([]byte(c.Name)))) {
		found = append(found, "cardholder name as ASCII hex")
	}
	if _, tail, ok := strings.Cut(c.Track2, "="); ok && len(tail) > 8 && strings.Contains(norm, tail[4:]) {
		found = append(found, "track 2 discretionary data")
	}
	return found
}

// Normal is s upper case without separators (" \t\r\n-:.,_") and "0x"
// prefixes.
func Normal(s string) string {
	s = strings.ToUpper(s)
	s = strings.ReplaceAll(s, "0X", "")
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(" \t\r\n-:.,_", r) {
			return -1
		}
		return r
	}, s)
}

func padF(s string) string {
	if len(s)%2 == 1 {
		return s + "F"
	}
	return s
}
