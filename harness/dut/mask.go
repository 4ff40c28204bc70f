package dut

import (
	"regexp"
	"strings"
	"sync"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/evidence"
)

// Track data in printed text: track 2 (PAN, '=' or 'D', YYMM, service code
// and discretionary data) and track 1 (%B PAN ^ NAME ^ YYMM ...).
var (
	track2Text = regexp.MustCompile(`;?([0-9]{12,19})[=D]([0-9]{4})[0-9]*\??`)
	track1Text = regexp.MustCompile(`%?B([0-9]{12,19})\^([^^]{0,26})\^([0-9]{4})[^?\s]*\??`)
)

// maskCardData masks what may be card data in a printed line: track data
// keeps the masked PAN and the expiry (service code and discretionary data
// dropped), then every PAN-like digit run is masked to first 6 / last 4.
func maskCardData(s string) string {
	if strings.ContainsAny(s, "=D^") {
		s = track1Text.ReplaceAllStringFunc(s, func(t string) string {
			g := track1Text.FindStringSubmatch(t)
			return "%B" + evidence.MaskPAN(g[1]) + "^" + g[2] + "^" + g[3]
		})
		s = track2Text.ReplaceAllStringFunc(s, func(t string) string {
			g := track2Text.FindStringSubmatch(t)
			return evidence.MaskPAN(g[1]) + "=" + g[2]
		})
	}
	return evidence.MaskPANs(s)
}

// maskSent is what a tap sees of a line sent for a message of kind k: a
// KEY line may carry PIN digits, so each of its digits is '*'.
func maskSent(k ecr.Kind, line string) string {
	if k == ecr.Key {
		return maskAllDigits(line)
	}
	return maskCardData(line)
}

func maskAllDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '*'
		}
		return r
	}, s)
}

// minSecret is the shortest digit run remembered as a possible PIN (ISO
// 9564: a PIN has 4 to 12 digits). Shorter runs (one key at a time) are
// not remembered: they would mask tries counts and amounts.
const minSecret = 4

// secrets remembers the digit runs of the last few KEY messages, so that a
// console echoing its input does not put a PIN into the transcript or into
// a message. Only digit runs exactly equal to one are masked.
type secrets struct {
	mu   sync.Mutex
	runs [4]string
	next int
}

// remember keeps the PIN-long digit runs of keys.
func (s *secrets) remember(keys string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, run := range digitRuns(keys) {
		if len(run) >= minSecret {
			s.runs[s.next] = run
			s.next = (s.next + 1) % len(s.runs)
		}
	}
}

// mask replaces every digit run of line equal to a remembered one by '*'s.
func (s *secrets) mask(line string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs == [4]string{} {
		return line
	}
	b := []byte(line)
	for i := 0; i < len(b); {
		if b[i] < '0' || b[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		for _, r := range s.runs {
			if r != "" && string(b[i:j]) == r {
				copy(b[i:j], strings.Repeat("*", j-i))
				break
			}
		}
		i = j
	}
	return string(b)
}

// digitRuns splits s into its maximal runs of ASCII digits.
func digitRuns(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	return out
}
