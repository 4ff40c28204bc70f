package dut

import (
	"sync"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/secrets"
)

// maskCardData masks card data in a printed line by the harness's one
// policy for unknown cards (secrets.MaskText: track text, Luhn-valid digit
// windows). The inserted card's own secrets, in every encoding, are
// scrubbed by the runner with the run's secrets.Scrubber.
func maskCardData(s string) string { return secrets.MaskText(s) }

// maskSent is what a tap sees of a line sent for a message of kind k: a
// KEY line may carry PIN digits, so each of its digits is '*'.
func maskSent(k ecr.Kind, line string) string {
	if k == ecr.Key {
		return secrets.MaskDigits(line)
	}
	return maskCardData(line)
}

// typedKeys remembers the digit runs of the last few KEY messages, so that
// a terminal echoing its input does not put a PIN into the transcript or
// into a message. A run shorter than secrets.MinPIN (one key at a time) is
// not remembered: it would mask tries counts and amounts.
type typedKeys struct {
	mu   sync.Mutex
	runs [4]string
	next int
	sc   *secrets.Scrubber // the remembered runs as PINs
}

// remember keeps the PIN-long digit runs of keys.
func (t *typedKeys) remember(keys string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, run := range digitRuns(keys) {
		if len(run) >= secrets.MinPIN {
			t.runs[t.next] = run
			t.next = (t.next + 1) % len(t.runs)
		}
	}
	var cards []secrets.Card
	for _, r := range t.runs {
		if r != "" {
			cards = append(cards, secrets.Card{PIN: r})
		}
	}
	t.sc = secrets.New(cards...)
}

// mask scrubs line of the remembered PINs (and of unknown card data).
func (t *typedKeys) mask(line string) string {
	t.mu.Lock()
	sc := t.sc
	t.mu.Unlock()
	if sc == nil {
		return line
	}
	return sc.String(line)
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
