package fault

import (
	"context"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Faults of the emulated acquirer host (Target.Host). Each applies to the
// authorisation and financial requests (0100/0200) that arrive while it
// is in force; reversals are always answered, and the host books an
// approval it does not answer (see acquirer.Mode).
func init() {
	Register("host_no_response", "the host never answers authorisation requests (the terminal times out)",
		func() Fault { return &HostNoResponse{} })
	Register("host_late", "the host answers authorisation requests late: {delay: 5s}",
		func() Fault { return &HostLate{} })
	Register("host_malformed", "the host answers with a message that does not decode",
		func() Fault { return &HostMalformed{} })
	Register("host_close", "the host closes the connection instead of answering",
		func() Fault { return &HostClose{} })
	Register("host_decline", "the host answers every new request with this response code: {code: \"51\"}",
		func() Fault { return &HostDecline{} })
}

// hostOf finds the bench's emulated host.
func hostOf(t Target) (*acquirer.Server, error) {
	h := t.Host()
	if h == nil {
		return nil, fmt.Errorf("%w: no emulated host (part %s)", ErrUnsupported, PartHost)
	}
	return h, nil
}

// setHost layers b over the host's behaviour and remembers how to undo it.
func setHost(t Target, u *undoList, b acquirer.Behaviour) error {
	h, err := hostOf(t)
	if err != nil {
		return err
	}
	restore, err := h.SetBehaviour(b)
	if err != nil {
		return err
	}
	u.push(undoFunc(restore))
	return nil
}

// HostNoResponse: requests get no answer; the connection stays open.
//
//   - host_no_response: {}
//     when: {mti: "0200"}
type HostNoResponse struct {
	undo undoList
}

// Needs implements Needer.
func (f *HostNoResponse) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostNoResponse) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{Mode: acquirer.NoResponse})
}

// Clear implements Fault.
func (f *HostNoResponse) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// HostLate: requests are answered after Delay; the host journal tells
// whether the terminal had already given up (Record.PeerGone).
//
//   - host_late: {delay: 5s}
type HostLate struct {
	Delay time.Duration `yaml:"delay"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *HostLate) Check(n *yaml.Node) error {
	if f.Delay <= 0 {
		return yamldoc.At(yamldoc.FindOr(n, "delay"), "host_late: give a positive delay, longer than the terminal's host timeout, e.g. {delay: 5s}")
	}
	return nil
}

// MaxDelay implements Delayer: how late each answer comes.
func (f *HostLate) MaxDelay() time.Duration { return f.Delay }

// Needs implements Needer.
func (f *HostLate) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostLate) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{Mode: acquirer.Late, Delay: f.Delay})
}

// Clear implements Fault. A late response already waiting still goes out.
func (f *HostLate) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// HostMalformed: requests are answered with a response that does not
// decode.
//
//   - host_malformed: {}
type HostMalformed struct {
	undo undoList
}

// Needs implements Needer.
func (f *HostMalformed) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostMalformed) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{Mode: acquirer.Malformed})
}

// Clear implements Fault.
func (f *HostMalformed) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// HostClose: the host closes the connection instead of answering.
//
//   - host_close: {}
type HostClose struct {
	undo undoList
}

// Needs implements Needer.
func (f *HostClose) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostClose) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{Mode: acquirer.CloseConn})
}

// Clear implements Fault.
func (f *HostClose) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// HostDecline forces the response code of every new request, whatever
// the host's rules say (repeats of a request still get its first answer).
//
//   - host_decline: {code: "51"}
type HostDecline struct {
	// Code is the response code (field 39), 2 letters or digits.
	Code string `yaml:"code"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *HostDecline) Check(n *yaml.Node) error {
	if len(f.Code) != 2 || !isResponseCode(f.Code) {
		return yamldoc.At(yamldoc.FindOr(n, "code"), "host_decline: code %q: want a 2-character response code such as \"51\" (quote it)", f.Code)
	}
	if f.Code == "00" {
		return yamldoc.At(yamldoc.FindOr(n, "code"), "host_decline: code \"00\" approves; give a decline code such as \"51\"")
	}
	return nil
}

func isResponseCode(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Needs implements Needer.
func (f *HostDecline) Needs() []Part { return []Part{PartHost} }

// Inject implements Fault.
func (f *HostDecline) Inject(ctx context.Context, t Target) error {
	return setHost(t, &f.undo, acquirer.Behaviour{Response: f.Code})
}

// Clear implements Fault.
func (f *HostDecline) Clear(ctx context.Context, t Target) error { return f.undo.run() }
