package secrets

import (
	"encoding/hex"
	"strings"
)

// Card is what the harness puts on the bench for one card. Every field is
// a secret; empty fields are not scrubbed.
type Card struct {
	// PAN is the primary account number, digits.
	PAN string
	// Track1 is ISO/IEC 7813 track 1 without sentinels: "B" PAN "^" name
	// "^" YYMM service code and discretionary data.
	Track1 string
	// Track2 is track 2 without sentinels: PAN "=" YYMM service code and
	// discretionary data.
	Track2 string
	// ChipTrack2 is the chip's track 2 equivalent data (tag 57) as hex
	// digits without padding: PAN "D" YYMM service code and discretionary
	// data.
	ChipTrack2 string
	// Name is the cardholder name. Names shorter than MinName characters
	// are not scrubbed (they would mask ordinary words).
	Name string
	// PIN is the PIN the harness types. PINs shorter than MinPIN digits are
	// not scrubbed. Its clear ISO 9564 format 0 (with PAN) and format 2
	// (offline plaintext) PIN blocks are scrubbed too.
	PIN string
}

// Shortest secrets scrubbed: a PIN has 4 to 12 digits (ISO 9564).
const (
	MinPIN  = 4
	MinName = 4
)

// Scrubber masks the secrets of known cards, then unknown card data
// (MaskText). A nil *Scrubber masks unknown card data only. A Scrubber is
// immutable and safe for concurrent use.
type Scrubber struct {
	pats []pattern
	// first lists, for each upper-case byte, the patterns starting with it,
	// longest first.
	first [256][]int
}

// pattern is one secret in one encoding: the characters expected in order
// (upper case) and, for each, whether it stays visible.
type pattern struct {
	seq  []byte
	keep []bool
	// seps allows separators between characters (grouped digits, hex
	// bytes): up to three of " \t-:.,_" and a "0x" prefix.
	seps bool
	// token requires no letter or digit right before and after the match
	// (a PIN inside a longer number is not the PIN).
	token bool
	// nibbles marks a pattern made only of hex digits, which Bytes also
	// looks for in the BCD nibbles of raw data.
	nibbles bool
}

// New returns a Scrubber for the secrets of cards.
func New(cards ...Card) *Scrubber {
	return (*Scrubber)(nil).With(cards...)
}

// With returns a Scrubber that also knows cards' secrets; s is unchanged.
func (s *Scrubber) With(cards ...Card) *Scrubber {
	out := &Scrubber{}
	if s != nil {
		out.pats = append(out.pats, s.pats...)
	}
	for _, c := range cards {
		out.pats = append(out.pats, c.patterns()...)
	}
	// Longest first, so a track wins over the PAN inside it.
	sortPatterns(out.pats)
	for i, p := range out.pats {
		c := p.seq[0]
		out.first[c] = append(out.first[c], i)
		if l := lower(c); l != c {
			out.first[l] = append(out.first[l], i)
		}
	}
	return out
}

func sortPatterns(ps []pattern) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && len(ps[j].seq) > len(ps[j-1].seq); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// patterns lists c's secrets in every encoding.
func (c Card) patterns() []pattern {
	var out []pattern
	add := func(v string, keep []bool, seps, token bool) {
		if v == "" {
			return
		}
		v = strings.ToUpper(v)
		out = append(out, pattern{seq: []byte(v), keep: keep, seps: seps, token: token, nibbles: isHexString(v)})
		// The characters as ASCII hex ("4761" as "34373631").
		h := strings.ToUpper(hex.EncodeToString([]byte(v)))
		hk := make([]bool, 0, len(h))
		for _, k := range keep {
			hk = append(hk, k, k)
		}
		out = append(out, pattern{seq: []byte(h), keep: hk, seps: true, token: token})
	}
	pan := digitsOnly(c.PAN)
	if len(pan) >= 8 {
		add(pan, keepPAN(len(pan)), true, false)
	}
	if t := c.Track2; t != "" {
		add(t, keepTrack(t, "="), true, false)
		add(strings.Replace(t, "=", "D", 1), keepTrack(t, "="), true, false)
	}
	if t := c.ChipTrack2; t != "" {
		t = strings.TrimRight(strings.ToUpper(t), "F")
		add(t, keepTrack(t, "D"), true, false)
	}
	if t := c.Track1; t != "" {
		add(t, keepTrack1(t), false, false)
	}
	if n := strings.TrimSpace(c.Name); len(n) >= MinName {
		add(n, make([]bool, len(n)), false, false)
	}
	if pin := c.PIN; len(pin) >= MinPIN && isDigitString(pin) {
		add(pin, make([]bool, len(pin)), false, true)
		for _, blk := range pinBlocks(pin, pan) {
			add(blk, make([]bool, len(blk)), true, false)
		}
	}
	return out
}

// keepTrack marks what track 2 text t (PAN sep YYMM ...) keeps visible:
// the PAN by MaskPAN's rule, the separator and the expiry.
func keepTrack(t, sep string) []bool {
	keep := make([]bool, len(t))
	i := strings.Index(t, sep)
	if i < 0 {
		return keep
	}
	copy(keep, keepPAN(i))
	for k := i; k < len(t) && k <= i+4; k++ {
		keep[k] = true
	}
	return keep
}

// keepTrack1 marks what track 1 text keeps visible: the format code, the
// masked PAN, both '^' and the expiry; never the name.
func keepTrack1(t string) []bool {
	keep := make([]bool, len(t))
	a := strings.IndexByte(t, '^')
	if a < 0 {
		return keep
	}
	z := a + 1 + strings.IndexByte(t[a+1:], '^')
	if z <= a {
		return keep
	}
	start := 0
	if t[0] == 'B' || t[0] == 'b' {
		keep[0] = true
		start = 1
	}
	copy(keep[start:a], keepPAN(a-start))
	keep[a] = true
	for k := z; k < len(t) && k <= z+4; k++ {
		keep[k] = true
	}
	return keep
}

// pinBlocks are the clear PIN blocks a terminal could print for pin: ISO
// 9564 format 2 (offline plaintext PIN) and, with a PAN, format 0.
func pinBlocks(pin, pan string) []string {
	if len(pin) > 12 {
		return nil
	}
	field := func(format byte) []byte {
		f := []byte{format, "0123456789ABC"[len(pin)]}
		f = append(f, pin...)
		for len(f) < 16 {
			f = append(f, 'F')
		}
		return f
	}
	out := []string{string(field('2'))}
	if len(pan) >= 13 {
		pf := []byte("0000" + pan[len(pan)-13:len(pan)-1])
		f := field('0')
		blk := make([]byte, 16)
		for i := range blk {
			blk[i] = "0123456789ABCDEF"[unhex(f[i])^unhex(pf[i])]
		}
		out = append(out, string(blk))
	}
	return out
}

// String masks every known secret in text, in every encoding, then unknown
// card data (MaskText). The result has the length of text.
func (s *Scrubber) String(text string) string {
	if s == nil || len(s.pats) == 0 {
		return MaskText(text)
	}
	b := []byte(text)
	s.maskKnown(b, false)
	return MaskText(string(b))
}

// Bytes returns a copy of b, same length, with known secrets masked as
// text ('*') and, in raw BCD nibbles (tag 5A, 57), with masked nibbles set
// to F; then unknown card data as in MaskText.
func (s *Scrubber) Bytes(b []byte) []byte {
	out := append([]byte(nil), b...)
	if s != nil && len(s.pats) > 0 {
		s.maskKnown(out, false)
		nib := []byte(strings.ToUpper(hex.EncodeToString(out)))
		if s.maskKnown(nib, true) {
			_, _ = hex.Decode(out, nib)
		}
	}
	maskTracks(out)
	maskWindows(out)
	return out
}

// maskKnown masks the known secrets in b in place and reports whether it
// changed anything. With inNibbles, b is the hex digits of raw bytes: only
// the hex-digit patterns are looked for, without separators, and hidden
// nibbles become F.
func (s *Scrubber) maskKnown(b []byte, inNibbles bool) bool {
	changed := false
	var pos []int
	for i := 0; i < len(b); {
		end := -1
		for _, pi := range s.first[b[i]] {
			p := &s.pats[pi]
			if inNibbles && (!p.nibbles || p.token) {
				continue
			}
			var ok bool
			if end, pos, ok = p.match(b, i, pos[:0], !inNibbles); ok {
				hideAt := byte(Mask)
				if inNibbles {
					hideAt = 'F'
				}
				for k, at := range pos {
					if !p.keep[k] {
						b[at] = hideAt
						changed = true
					}
				}
				break
			}
			end = -1
		}
		if end > i {
			i = end
		} else {
			i++
		}
	}
	return changed
}

// match reports whether p starts at b[i], and where each of its characters
// is (appended to pos) and where the match ends.
func (p *pattern) match(b []byte, i int, pos []int, seps bool) (int, []int, bool) {
	if p.token && i > 0 && isWord(b[i-1]) {
		return 0, pos, false
	}
	j := i
	for k, want := range p.seq {
		if k > 0 && seps && p.seps {
			j = skipSeps(b, j)
		}
		if j >= len(b) || upper(b[j]) != want {
			return 0, pos, false
		}
		pos = append(pos, j)
		j++
	}
	if p.token && j < len(b) && isWord(b[j]) {
		return 0, pos, false
	}
	return j, pos, true
}

// skipSeps skips up to three separators and a "0x" prefix.
func skipSeps(b []byte, j int) int {
	for n := 0; n < 3 && j < len(b) && strings.IndexByte(" \t-:.,_", b[j]) >= 0; n++ {
		j++
	}
	if j+2 < len(b) && b[j] == '0' && (b[j+1] == 'x' || b[j+1] == 'X') && isHex(b[j+2]) {
		j += 2
	}
	return j
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}

func isHex(c byte) bool { return isDigit(c) || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigitString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
