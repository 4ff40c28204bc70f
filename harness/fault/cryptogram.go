package fault

import (
	"bytes"
	"context"
	"errors"
	"sync"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/emvcard"
)

// Cryptogram faults (EMV Book 2 cryptograms, see package emvcrypto): a
// card whose keys are not the issuer's, and an issuer whose ARPC the card
// rejects.
func init() {
	Register("card_cloned", "chip: the card derives its keys from another issuer master key (a cloned card): its ARQC fails at the issuer, which answers 05 (DECLINED)",
		func() Fault { return &CardCloned{} })
	Register("host_bad_arpc", "the issuer's ARPC (91 in field 55) is wrong: the card answers AAC to the second GENERATE AC, the terminal must decline and reverse",
		func() Fault { return &HostBadARPC{} })
	Register("host_issuer_script", "the issuer sends a PIN UNBLOCK issuer script (72; 71 with {before: true}) with its approvals: {bad_mac: true} makes its MAC wrong, so the card refuses it (6988) and the terminal reports the script failed (9F5B 11...)",
		func() Fault { return &HostIssuerScript{} })
}

// CardCloned makes the card in play, and cards inserted while it is
// active, compute their cryptograms from another issuer master key (each
// byte of the profile's inverted), as a card cloned without the issuer's
// keys would. Clear gives each card its own key back.
//
//   - card_cloned: {}
type CardCloned struct {
	cardHooks
	kmu  sync.Mutex
	prev map[*emvcard.Card][]byte // key before the fault; nil: the profile's
}

// Inject installs the Attach hook that swaps the key.
func (f *CardCloned) Inject(_ context.Context, t Target) error {
	return f.install(t, "card_cloned", emvcard.Hooks{Attach: func(c *emvcard.Card) {
		f.kmu.Lock()
		defer f.kmu.Unlock()
		if _, done := f.prev[c]; done {
			return
		}
		if f.prev == nil {
			f.prev = map[*emvcard.Card][]byte{}
		}
		own := c.IssuerMasterKey()
		f.prev[c] = own
		if bytes.Equal(own, c.Profile().IssuerMasterKey) {
			f.prev[c] = nil
		}
		other := make([]byte, len(own))
		for i, b := range own {
			other[i] = ^b
		}
		_ = c.SetIssuerMasterKey(other) // 16 bytes by construction
	}})
}

// Clear removes the hook and restores each card's key.
func (f *CardCloned) Clear(ctx context.Context, t Target) error {
	_ = f.cardHooks.Clear(ctx, t)
	f.kmu.Lock()
	prev := f.prev
	f.prev = nil
	f.kmu.Unlock()
	var errs []error
	for c, k := range prev {
		errs = append(errs, c.SetIssuerMasterKey(k))
	}
	return errors.Join(errs...)
}

// HostBadARPC makes the emulated issuer send a wrong ARPC in the
// issuer authentication data (91) of its responses: the card rejects it in
// the second GENERATE AC (AAC), so an approved sale must end DECLINED and
// be reversed.
//
//   - host_bad_arpc: {}
type HostBadARPC struct {
	undo undoList
}

// Needs implements Needer.
func (f *HostBadARPC) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostBadARPC) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{BadARPC: true})
}

// Clear implements Fault.
func (f *HostBadARPC) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// HostIssuerScript makes the emulated issuer send an issuer script with
// every response whose ARQC verified: template 72 with script ID 00000001
// and PIN UNBLOCK (84 24 00 00 08 + MAC). The terminal must send it to
// the card after the final GENERATE AC and report the results (9F5B):
// 2000000001 when the card accepts it; with BadMAC the card answers 6988
// and the result is 1100000001.
//
//   - host_issuer_script: {bad_mac: true}
type HostIssuerScript struct {
	// BadMAC flips a bit of the script command's secure messaging MAC.
	BadMAC bool `yaml:"bad_mac"`
	// Before sends the script in template 71, processed before the final
	// GENERATE AC (default 72, after it).
	Before bool `yaml:"before"`

	undo undoList
}

// Needs implements Needer.
func (f *HostIssuerScript) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostIssuerScript) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{Script: acquirer.ScriptPINUnblock, ScriptBadMAC: f.BadMAC, ScriptBefore: f.Before})
}

// Clear implements Fault.
func (f *HostIssuerScript) Clear(ctx context.Context, t Target) error { return f.undo.run() }
