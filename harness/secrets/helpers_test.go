package secrets

import (
	"encoding/hex"
	"strings"
)

// visa is the secrets of fixtures/cards/visa-credit.yaml as the runner
// gives them (emvcard.Profile.Secrets).
var visa = Card{
	PAN:        "4761739001010010",
	Track1:     "B4761739001010010^VISA ACQUIRER TEST/CARD 01^4912201101001230000000000",
	Track2:     "4761739001010010=49122011010012300000",
	ChipTrack2: "4761739001010010D491220100000",
	Name:       "VISA ACQUIRER TEST/CARD 01",
	PIN:        "1234",
}

// form is one way a terminal may print a secret.
type form struct {
	name string
	enc  func(string) string
}

// forms are the encodings of a secret the scrubber must catch.
var forms = []form{
	{"plain", func(s string) string { return s }},
	{"lower", strings.ToLower},
	{"grouped-space", func(s string) string { return groupBy(s, 4, " ") }},
	{"grouped-dash", func(s string) string { return groupBy(s, 4, "-") }},
	{"amex-4-6-5", func(s string) string { return group465(s) }},
	{"hex-bytes", func(s string) string { return groupBy(padF(s), 2, " ") }},
	{"hex-bytes-colon", func(s string) string { return groupBy(padF(s), 2, ":") }},
	{"hex-bytes-lower", func(s string) string { return strings.ToLower(groupBy(padF(s), 2, " ")) }},
	{"hex-0x", func(s string) string { return "0x" + groupBy(padF(s), 2, ", 0x") }},
	{"bcd-padded", padF},
	{"ascii-hex", func(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) }},
	{"ascii-hex-lower", func(s string) string { return hex.EncodeToString([]byte(s)) }},
	{"ascii-hex-bytes", func(s string) string { return groupBy(strings.ToUpper(hex.EncodeToString([]byte(s))), 2, " ") }},
}

// groupBy splits s into groups of n joined by sep.
func groupBy(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

func group465(s string) string {
	if len(s) < 11 {
		return s
	}
	return s[:4] + " " + s[4:10] + " " + s[10:]
}

// padF pads an odd number of nibbles with F, as BCD fields are.
func padF(s string) string {
	if len(s)%2 == 1 {
		return s + "F"
	}
	return s
}

// normal is s upper case without separators and "0x" prefixes: what is
// left to read once the grouping is undone.
func normal(s string) string {
	s = strings.ToUpper(s)
	s = strings.ReplaceAll(s, "0X", "")
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(" \t-:.,_", r) {
			return -1
		}
		return r
	}, s)
}
