package oracle

import (
	"fmt"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/secrets"
)

// Receipt is one receipt the bench's printer printed, as printed (the
// oracle sees the raw text: it checks the PAN on it; evidence is
// scrubbed).
type Receipt struct {
	At    time.Time
	Lines []string
	// Cut is false for a receipt an error stopped in the middle.
	Cut bool
}

// Text is the receipt's lines joined by newlines.
func (r Receipt) Text() string { return strings.Join(r.Lines, "\n") }

// panOnReceipt is the always-on rule of card schemes (PCI DSS 3.4, the
// schemes' receipt rules): a receipt shows no digit of the card's PAN but
// the last 4. It returns where the first receipt breaks it (never the
// digits themselves), or "".
func panOnReceipt(pan string, rs []Receipt) string {
	if len(pan) < 8 {
		return ""
	}
	for i, r := range rs {
		for j, line := range r.Lines {
			if what := panShown(pan, line); what != "" {
				return fmt.Sprintf("receipt %d, line %d shows %s", i+1, j+1, what)
			}
		}
	}
	return ""
}

// panShown says what of pan beyond its last 4 digits line shows: a
// card-number token (digits and mask characters, grouped by spaces or
// dashes) that ends with the PAN's last 4 and shows a PAN digit in a
// place before them, or a run of 6 or more digits that starts the PAN.
func panShown(pan, line string) string {
	last4 := pan[len(pan)-4:]
	for _, tok := range cardTokens(line) {
		if lead := strings.TrimRight(tok, "*"); len(lead) >= 6 && strings.HasPrefix(pan, lead) {
			return fmt.Sprintf("the first %d digits of the PAN", min(len(lead), len(pan)))
		}
		if len(tok) < 12 || !strings.HasSuffix(tok, last4) {
			continue
		}
		off := len(pan) - len(tok) // the token's end on the PAN's end
		shown := 0
		for k := 0; k < len(tok)-4; k++ {
			if p := off + k; p >= 0 && tok[k] == pan[p] {
				shown++
			}
		}
		if shown > 0 {
			return fmt.Sprintf("%d PAN digit(s) besides the last 4", shown)
		}
	}
	return ""
}

// cardTokens cuts line into runs of digits and mask characters (* X x #
// and bullets, all read as *), spaces and dashes between them dropped.
func cardTokens(line string) []string {
	var out []string
	var cur strings.Builder
	rs := []rune(line)
	for i, c := range rs {
		switch {
		case isCardRune(c):
			if c < '0' || c > '9' {
				c = '*'
			}
			cur.WriteRune(c)
		case (c == ' ' || c == '-') && cur.Len() > 0 && i+1 < len(rs) && isCardRune(rs[i+1]):
			// a group separator inside a number
		case cur.Len() > 0:
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func isCardRune(c rune) bool {
	return c >= '0' && c <= '9' || c == '*' || c == 'X' || c == 'x' || c == '#' || c == '•'
}

// panRule holds in every scenario: no receipt shows more of the card's
// PAN than its last 4 digits.
func (j *judge) panRule() {
	if what := panOnReceipt(j.log.PAN, j.log.Receipts); what != "" {
		j.fail(j.exp.At.Expect, "receipt PAN truncation", "%s: a receipt may show the last 4 digits of the PAN only", what)
	}
}

// receipts judges the printed receipts against expect.receipt.
func (j *judge) receipts() {
	want := j.exp.Receipt
	if want == nil {
		return
	}
	rs := j.log.Receipts
	if want.Count != nil && len(rs) != *want.Count {
		j.fail(want.At.Count, "expect.receipt.count", "expected %d receipt(s), the printer printed %d%s", *want.Count, len(rs), cutNote(rs))
	}
	if len(rs) == 0 {
		if len(want.Contains) > 0 || want.Same {
			j.fail(want.At.Receipt, "expect.receipt", "the printer printed no receipt")
		}
		return
	}
	last := rs[len(rs)-1]
	text := strings.ToUpper(last.Text())
	for i, s := range want.Contains {
		if !strings.Contains(text, strings.ToUpper(s)) {
			j.fail(want.At.ContainsAt(i), "expect.receipt.contains", "the last receipt (receipt %d) does not contain %q", len(rs), s)
		}
	}
	for i, s := range want.Lacks {
		for k, r := range rs {
			if strings.Contains(strings.ToUpper(r.Text()), strings.ToUpper(s)) {
				j.fail(want.At.LacksAt(i), "expect.receipt.lacks", "receipt %d contains %q", k+1, s)
				break
			}
		}
	}
	if want.Same {
		j.same(rs)
	}
}

// same: the last receipt keeps every line of every earlier one (a copy
// may add a marker such as DUPLICATE, never change or drop a line).
func (j *judge) same(rs []Receipt) {
	want := j.exp.Receipt
	if len(rs) < 2 {
		j.fail(want.At.Same, "expect.receipt.same", "expected a receipt and its copy, the printer printed %d receipt(s)", len(rs))
		return
	}
	last := map[string]bool{}
	for _, l := range rs[len(rs)-1].Lines {
		last[strings.TrimSpace(l)] = true
	}
	for k, r := range rs[:len(rs)-1] {
		for n, l := range r.Lines {
			if l = strings.TrimSpace(l); l != "" && !last[l] {
				j.fail(want.At.Same, "expect.receipt.same", "receipt %d line %d %q is not on the last receipt (receipt %d): a copy must repeat the transaction, not another one",
					k+1, n+1, secrets.MaskText(l), len(rs))
				return
			}
		}
	}
}

// cutNote says how many receipts an error cut short.
func cutNote(rs []Receipt) string {
	n := 0
	for _, r := range rs {
		if !r.Cut {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d cut short by a printer error)", n)
}
