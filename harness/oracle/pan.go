package oracle

import "github.com/poshil/poshil/harness/secrets"

// cardNumber: every authorisation request the emulated host received
// carries the scenario card's PAN. A terminal that misreads a card (a
// swipe backwards decoded into other digits, bits lost to a swipe too
// fast taken for data) charges an account that is not the cardholder's:
// a FAIL whatever the outcome. Both numbers are quoted masked.
func (j *judge) cardNumber() {
	if j.log.PAN == "" || j.log.Host == nil {
		return
	}
	for i, p := range j.log.Host.PANs {
		if p != "" && p != j.log.PAN {
			j.fail(j.exp.At.Expect, "card number to the host",
				"the host received authorisation request %d with card number %s, the card presented is %s (a wrong PAN: the terminal misread the card)",
				i+1, secrets.MaskPAN(p), secrets.MaskPAN(j.log.PAN))
		}
	}
}
