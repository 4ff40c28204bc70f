package secrets

import (
	"bytes"
	"regexp"
)

// Track 1 of a card the harness did not put there, as terminals print it:
// B PAN ^ NAME ^ YYMM service code, discretionary data. (Track 2: see
// maskTrack2.)
var (
	track1Text = regexp.MustCompile(`B([0-9]{12,19})\^([^^\r\n]{0,26})\^([0-9]{4})([^?\s]*)`)
)

// Digit windows: a card number has 13 to 19 digits; printed grouped, its
// groups have at most 6 digits (4-4-4-4, 4-6-5, hex bytes 2-2-2...).
const (
	minPAN   = 13
	maxPAN   = 19
	maxGroup = 6
)

// MaskText masks card data of unknown cards in free text and returns text
// of the same length:
//   - track 1 text keeps 'B', the masked PAN, the separators and the expiry
//     (name, service code and discretionary data become '*');
//   - track 2 text keeps the masked PAN, the separator and the expiry (with
//     a 'D' separator, as in hex dumps, only when the PAN is Luhn-valid);
//   - any Luhn-valid window of 13 to 19 digits not starting with 0, plain
//     or grouped by single spaces or dashes, is masked by MaskPAN's rule,
//     separators kept. A window must not touch a letter or a digit on
//     either side, so hex strings (AIDs, APDUs, cryptograms) stay whole.
//
// Runs of more than 19 digits (timestamps, serial numbers) are left alone.
func MaskText(s string) string {
	b := []byte(s)
	maskTracks(b)
	maskWindows(b)
	return string(b)
}

// maskTracks masks track 1 and track 2 text in place.
func maskTracks(b []byte) {
	if bytes.IndexByte(b, '^') >= 0 { // the regexp is slow; most text has no track 1
		for _, m := range track1Text.FindAllSubmatchIndex(b, -1) {
			maskPANAt(b, m[2], m[3])
			hide(b, m[4], m[5])
			hide(b, m[8], m[9])
		}
	}
	maskTrack2(b)
}

// maskTrack2 masks track 2 text: 12 to 19 digits (the last ones of a
// longer run), '=' or 'D', 4 digits of expiry, more digits.
func maskTrack2(b []byte) {
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j-i < 12 || j+4 >= len(b) || (b[j] != '=' && b[j] != 'D') || !isDigitString(string(b[j+1:j+5])) {
			i = j
			continue
		}
		pan := max(i, j-19)
		if b[j] == 'D' && !Luhn(string(b[pan:j])) {
			i = j
			continue
		}
		maskPANAt(b, pan, j)
		k := j + 5
		for k < len(b) && isDigit(b[k]) {
			b[k] = Mask
			k++
		}
		i = k
	}
}

// maskPANAt masks the PAN digits b[i:j] in place by MaskPAN's rule.
func maskPANAt(b []byte, i, j int) {
	copy(b[i:j], MaskPAN(string(b[i:j])))
}

// hide replaces b[i:j] with Mask.
func hide(b []byte, i, j int) {
	for k := i; k < j; k++ {
		b[k] = Mask
	}
}

// group is one run of digits b[start:end] in a grouped number.
type group struct{ start, end int }

// maskWindows masks Luhn-valid digit windows in place.
func maskWindows(b []byte) {
	for i := 0; i < len(b); {
		if !isDigit(b[i]) || (i > 0 && isWord(b[i-1])) {
			i++
			continue
		}
		groups, end := digitGroups(b, i)
		if end < len(b) && isWord(b[end]) {
			groups = groups[:len(groups)-1] // the last group runs into a hex string or a word
		}
		maskGroups(b, groups)
		i = end
	}
}

// digitGroups reads digit groups from b[i], joined by one separator (the
// same one throughout: ' ' or '-'), and returns them and where they end.
func digitGroups(b []byte, i int) ([]group, int) {
	var groups []group
	var sep byte
	j := i
	for {
		k := j
		for k < len(b) && isDigit(b[k]) {
			k++
		}
		groups = append(groups, group{j, k})
		if k+1 < len(b) && (b[k] == ' ' || b[k] == '-') && isDigit(b[k+1]) && (sep == 0 || sep == b[k]) {
			sep = b[k]
			j = k + 1
			continue
		}
		return groups, k
	}
}

// maskGroups masks the Luhn-valid windows among groups: one group of 13 to
// 19 digits, or consecutive groups of at most 6 digits each adding up to
// 13 to 19. The longest window from the leftmost group wins.
func maskGroups(b []byte, groups []group) {
	var digits []byte
	for a := 0; a < len(groups); a++ {
		n := 0
		best := -1
		for z := a; z < len(groups); z++ {
			g := groups[z]
			if z > a && (g.end-g.start > maxGroup || groups[a].end-groups[a].start > maxGroup) {
				break
			}
			n += g.end - g.start
			if n > maxPAN {
				break
			}
			if n < minPAN || b[groups[a].start] == '0' {
				continue
			}
			digits = digits[:0]
			for _, g := range groups[a : z+1] {
				digits = append(digits, b[g.start:g.end]...)
			}
			if Luhn(string(digits)) {
				best = z
			}
		}
		if best < 0 {
			continue
		}
		keep := keepPAN(countDigits(groups[a : best+1]))
		k := 0
		for _, g := range groups[a : best+1] {
			for p := g.start; p < g.end; p++ {
				if !keep[k] {
					b[p] = Mask
				}
				k++
			}
		}
		a = best
	}
}

func countDigits(gs []group) int {
	n := 0
	for _, g := range gs {
		n += g.end - g.start
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isWord reports whether c is a letter or digit: a number touching one is
// part of a hex string or a word, not a card number printed on its own.
func isWord(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
