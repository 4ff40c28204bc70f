package runner

import (
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/secrets"
)

// runSecrets is what the scenario's card puts on the bench, for the run's
// scrubber: its PAN, tracks, name and PIN, and the wrong PIN a "pin: wrong"
// step types.
func runSecrets(p *emvcard.Profile) *secrets.Scrubber {
	if p == nil {
		return nil
	}
	return secrets.New(p.Secrets(), secrets.Card{PAN: p.PAN, PIN: wrongPIN(string(p.PIN))})
}
