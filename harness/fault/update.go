package fault

import (
	"context"
	"fmt"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

func init() {
	Register("dut_update", "a software update is pushed to the DUT: its process gets `signal` (default SIGUSR1, as its terminal management system would send); the terminal must report BUSY while it installs it and refuse (BUSY) or queue every transaction sent meanwhile, never lose one",
		func() Fault { return &Update{} })
}

// DUTSignaller is a DUTSide whose running DUT process can be sent a
// signal (to its main process only, not its children). The runner's DUT
// side implements it.
type DUTSignaller interface {
	Signal(ctx context.Context, sig syscall.Signal) error
}

// updateSignals are the signals an update may be pushed with.
var updateSignals = map[string]syscall.Signal{"SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2, "SIGHUP": syscall.SIGHUP}

// Update pushes a software update to the DUT at its trigger: the DUT
// process gets Signal (SIGUSR1 unless named), the way a terminal
// management system tells a firmware an update is waiting. What the
// terminal does is judged (BUSY, never a lost sale); the fault holds
// nothing, so Clear does nothing. In YAML:
//
//	faults:
//	  - dut_update: {signal: SIGUSR1}
type Update struct {
	Signal string `yaml:"signal"`
}

// Needs implements Needer.
func (f *Update) Needs() []Part { return []Part{PartDUT} }

// Check validates the signal.
func (f *Update) Check(n *yaml.Node) error {
	if _, ok := f.signal(); !ok {
		return yamldoc.At(yamldoc.FindOr(n, "signal"), "dut_update: signal %q: want SIGUSR1, SIGUSR2 or SIGHUP", f.Signal)
	}
	return nil
}

func (f *Update) signal() (syscall.Signal, bool) {
	if f.Signal == "" {
		return syscall.SIGUSR1, true
	}
	s, ok := updateSignals[f.Signal]
	return s, ok
}

// Inject implements Fault.
func (f *Update) Inject(ctx context.Context, t Target) error {
	d := t.DUT()
	s, ok := d.(DUTSignaller)
	if d == nil || !ok {
		return fmt.Errorf("%w: the bench cannot signal its DUT", ErrUnsupported)
	}
	sig, _ := f.signal()
	if err := s.Signal(ctx, sig); err != nil {
		return fmt.Errorf("dut_update: %w", err)
	}
	t.Note("update pushed to the DUT (%v)", sig)
	return nil
}

// Clear implements Fault: an update once pushed is the terminal's to
// finish.
func (f *Update) Clear(context.Context, Target) error { return nil }
