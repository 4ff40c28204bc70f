package secrets

import "strings"

// Mask is the character that replaces a hidden character in text.
const Mask = '*'

// MaskPAN masks a primary account number: 13 digits or more keep their
// first 6 and last 4 (the PCI DSS display rule), 8 to 12 digits keep their
// last 4 only (so at least 4 stay hidden), shorter values are hidden
// whole. The result has the length of pan.
func MaskPAN(pan string) string {
	n := len(pan)
	switch {
	case n == 0:
		return ""
	case n < 8:
		return strings.Repeat(string(Mask), n)
	case n < 13:
		return strings.Repeat(string(Mask), n-4) + pan[n-4:]
	default:
		return pan[:6] + strings.Repeat(string(Mask), n-10) + pan[n-4:]
	}
}

// keepPAN reports, for each of n PAN digits, whether MaskPAN shows it.
func keepPAN(n int) []bool {
	keep := make([]bool, n)
	m := MaskPAN(strings.Repeat("0", n))
	for i := range keep {
		keep[i] = m[i] != Mask
	}
	return keep
}

// Luhn reports whether digits (ASCII decimal digits only, at least two)
// pass the Luhn check of ISO/IEC 7812.
func Luhn(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// MaskDigits hides every decimal digit of s (Mask), keeping the rest: what
// a transcript shows of keys typed on a PIN pad, which may be a PIN.
func MaskDigits(s string) string {
	b := []byte(s)
	for i, c := range b {
		if isDigit(c) {
			b[i] = Mask
		}
	}
	return string(b)
}
