package fault

import (
	"context"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Terminal key faults of the emulated acquirer (sign-on and MAC, see
// package termkeys and acquirer's sign-on): a host that refuses the
// terminal's sign-on, one whose working keys no longer match the
// terminal's, and one whose responses carry a wrong MAC.
func init() {
	Register("host_signon_refused", "the host refuses every sign-on (0800 001) with this response code and no keys: {code: \"58\"} (the default); the terminal must not trade (NOT_SIGNED_ON)",
		func() Fault { return &HostSignOnRefused{} })
	Register("host_keys_out_of_sync", "the host gives each signed-on terminal new working keys without telling it: MACs fail both ways (63) until the terminal signs on again",
		func() Fault { return &HostKeysOutOfSync{} })
	Register("host_bad_mac", "the MAC of the host's authorisation responses (0110/0210) is wrong: the terminal must not approve, and must reverse",
		func() Fault { return &HostBadMAC{} })
}

// HostSignOnRefused makes the host answer every sign-on with Code and no
// working keys; the terminal's current keys stay valid at the host (only
// the sign-on is refused). Clear lets sign-ons through again.
//
//   - host_signon_refused: {code: "58"}
type HostSignOnRefused struct {
	// Code is the response code of the 0810, default "58" (not permitted
	// to the terminal).
	Code string `yaml:"code"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *HostSignOnRefused) Check(n *yaml.Node) error {
	if f.Code == "" {
		return nil
	}
	if len(f.Code) != 2 || !isResponseCode(f.Code) || acquirer.Approved(f.Code) {
		return yamldoc.At(yamldoc.FindOr(n, "code"), "host_signon_refused: code %q: want a 2-character refusal such as \"58\" (quote it), not an approval", f.Code)
	}
	return nil
}

// Needs implements Needer.
func (f *HostSignOnRefused) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostSignOnRefused) Inject(ctx context.Context, t Target) error {
	code := f.Code
	if code == "" {
		code = acquirer.RCSignOnRefused
	}
	return setHost(t, &f.undo, acquirer.Behaviour{SignOnRefused: code})
}

// Clear implements Fault.
func (f *HostSignOnRefused) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// HostKeysOutOfSync gives every terminal signed on to the host new
// working keys without telling it, as a host whose key change never
// reached the terminal: its MACed requests are answered 63 under keys it
// cannot check. Clear gives back the old keys to each terminal that has
// not signed on since (one that has is in step already). A bench whose
// terminal never signed on cannot run it (a bench error).
//
//   - host_keys_out_of_sync: {}
type HostKeysOutOfSync struct {
	undo undoList
}

// Needs implements Needer.
func (f *HostKeysOutOfSync) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostKeysOutOfSync) Inject(ctx context.Context, t Target) error {
	h, err := hostOf(t)
	if err != nil {
		return err
	}
	n, restore := h.DesyncKeys()
	f.undo.push(func() error { restore(); return nil })
	if n == 0 {
		return fmt.Errorf("%w: host_keys_out_of_sync: no terminal has signed on to the host", ErrUnsupported)
	}
	t.Note("host: working keys of %d terminal(s) changed without telling them", n)
	return nil
}

// Clear implements Fault.
func (f *HostKeysOutOfSync) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// HostBadMAC makes the MAC of the host's authorisation and financial
// responses wrong (a bit flipped); reversal and sign-on responses stay
// right, so the reversal the terminal owes can be checked.
//
//   - host_bad_mac: {}
type HostBadMAC struct {
	undo undoList
}

// Needs implements Needer.
func (f *HostBadMAC) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostBadMAC) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{BadMAC: true})
}

// Clear implements Fault.
func (f *HostBadMAC) Clear(ctx context.Context, t Target) error { return f.undo.run() }
