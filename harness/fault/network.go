package fault

import (
	"context"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Faults on the TCP path between the terminal and the host, through the
// network proxy the bench puts in it (fault.PartNetwork, a
// netproxy.Impairer).
func init() {
	Register("host_unreachable", "connections to the host are refused (ECONNREFUSED), as for a host that is down",
		func() Fault { return &HostUnreachable{} })
	Register("net_drop", "the network accepts connections but data vanishes both ways",
		func() Fault { return &NetDrop{} })
	Register("net_delay", "every chunk of data to and from the host is held back: {delay: 2s}",
		func() Fault { return &NetDelay{} })
	Register("net_stall", "the network stops passing data but keeps connections open; held data passes when for: ends or at a clear step, and is discarded at the scenario's end",
		func() Fault { return &NetStall{} })
	Register("net_cut", "the connection is closed inside the next message, after a seeded number of its bytes: {seed: 1, direction: both|to_host|to_terminal}",
		func() Fault { return &NetCut{} })
}

// networkOf finds the bench's network proxy.
func networkOf(t Target) (netproxy.Impairer, error) {
	n, ok := t.Part(PartNetwork).(netproxy.Impairer)
	if !ok || n == nil {
		return nil, fmt.Errorf("%w: no network proxy (part %s)", ErrUnsupported, PartNetwork)
	}
	return n, nil
}

// HostUnreachable refuses the terminal's connections until Clear;
// connections already open are left alone.
//
//   - host_unreachable: {}
type HostUnreachable struct {
	undo undoList
}

// Needs implements Needer.
func (f *HostUnreachable) Needs() []Part { return []Part{PartNetwork} }

// Inject implements Fault.
func (f *HostUnreachable) Inject(ctx context.Context, t Target) error {
	n, err := networkOf(t)
	if err != nil {
		return err
	}
	f.undo.push(n.Refuse())
	return nil
}

// Clear implements Fault. It fails (wrapping netproxy.ErrListen) if the
// proxy cannot listen again.
func (f *HostUnreachable) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// NetDrop swallows data both ways until Clear; connections open and stay
// open.
//
//   - net_drop: {}
type NetDrop struct {
	undo undoList
}

// Needs implements Needer.
func (f *NetDrop) Needs() []Part { return []Part{PartNetwork} }

// Inject implements Fault.
func (f *NetDrop) Inject(ctx context.Context, t Target) error {
	n, err := networkOf(t)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(n.Drop()))
	return nil
}

// Clear implements Fault.
func (f *NetDrop) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// NetDelay holds every chunk of data, both ways, for Delay.
//
//   - net_delay: {delay: 2s}
type NetDelay struct {
	Delay time.Duration `yaml:"delay"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *NetDelay) Check(n *yaml.Node) error {
	if f.Delay <= 0 {
		return yamldoc.At(yamldoc.FindOr(n, "delay"), "net_delay: give a positive delay, e.g. {delay: 2s}")
	}
	return nil
}

// Needs implements Needer.
func (f *NetDelay) Needs() []Part { return []Part{PartNetwork} }

// Inject implements Fault.
func (f *NetDelay) Inject(ctx context.Context, t Target) error {
	n, err := networkOf(t)
	if err != nil {
		return err
	}
	restore, err := n.Delay(f.Delay)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(restore))
	return nil
}

// Clear implements Fault: chunks already held pass when their delay ends.
func (f *NetDelay) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// Drop implements Dropper: the connections holding delayed data are
// closed first, so nothing held passes.
func (f *NetDelay) Drop(ctx context.Context, t Target) error { return discard(t, &f.undo) }

// MaxDelay implements Delayer.
func (f *NetDelay) MaxDelay() time.Duration { return f.Delay }

// NetStall stops data both ways but keeps connections open; on Clear the
// data held meanwhile passes.
//
//   - net_stall: {}
type NetStall struct {
	undo undoList
}

// Needs implements Needer.
func (f *NetStall) Needs() []Part { return []Part{PartNetwork} }

// Inject implements Fault.
func (f *NetStall) Inject(ctx context.Context, t Target) error {
	n, err := networkOf(t)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(n.Stall()))
	return nil
}

// Clear implements Fault: the data held passes.
func (f *NetStall) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// Drop implements Dropper: every connection is closed before the stall
// ends, so what it held (an authorisation on its way to the host) is
// discarded, never delivered.
func (f *NetStall) Drop(ctx context.Context, t Target) error { return discard(t, &f.undo) }

// MaxDelay implements Delayer: 0, as a stall has no delay of its own;
// it holds data until it ends, so Spec.MaxDelay is its for:.
func (f *NetStall) MaxDelay() time.Duration { return 0 }

// holdsUntilCleared implements holder.
func (f *NetStall) holdsUntilCleared() {}

// discard ends a network fault that holds data without delivering it:
// when the fault is in force, the proxy's connections are closed first
// (netproxy.Proxy.Discard), then the fault is taken out.
func discard(t Target, u *undoList) error {
	if u.empty() {
		return nil
	}
	n, err := networkOf(t)
	if err != nil {
		return err
	}
	closed := n.Discard()
	t.Note("network: %d connection(s) closed, held data discarded", closed)
	return u.run()
}

// NetCut closes the connection carrying the next message (in Direction)
// after a number of its bytes drawn from Seed: at least one, never all.
// It acts once per injection.
//
//   - net_cut: {seed: 3, direction: to_terminal}
//     when: {mti: "0200"}
type NetCut struct {
	Seed int64 `yaml:"seed"`
	// Direction is to_host, to_terminal or both (default both: whichever
	// message comes first).
	Direction string `yaml:"direction"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *NetCut) Check(n *yaml.Node) error {
	if _, err := netproxy.ParseDirection(f.Direction); err != nil {
		return yamldoc.At(yamldoc.FindOr(n, "direction"), "net_cut: direction %q: want to_host, to_terminal or both", f.Direction)
	}
	return nil
}

// Needs implements Needer.
func (f *NetCut) Needs() []Part { return []Part{PartNetwork} }

// Inject implements Fault.
func (f *NetCut) Inject(ctx context.Context, t Target) error {
	n, err := networkOf(t)
	if err != nil {
		return err
	}
	dir, err := netproxy.ParseDirection(f.Direction)
	if err != nil {
		return err
	}
	restore, err := n.CutMidMessage(dir, f.Seed)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(restore))
	return nil
}

// Clear implements Fault.
func (f *NetCut) Clear(ctx context.Context, t Target) error { return f.undo.run() }
