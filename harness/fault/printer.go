package fault

import (
	"context"
	"fmt"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/printer"
	"github.com/poshil/poshil/harness/yamldoc"
)

// PartPrinter is an emulated ESC/POS receipt printer (fixtures/printer).
const PartPrinter Part = "printer"

func init() {
	Register("printer", "the receipt printer changes state: paper_out|cover_open|offline|jam (stops: terminal must report PRINTER_ERROR, its result unchanged) or near_end (still prints), after_lines N printed lines (0: now); Clear makes it ready (paper loaded, cover shut)",
		func() Fault { return &Printer{} })
}

// Printer puts the bench's emulated receipt printer in a state: at once,
// or after a number of printed lines (in the middle of a receipt). Clear
// makes it ready again, as loading paper or shutting the cover does. In
// YAML:
//
//   - printer: {state: paper_out, after_lines: 3}
type Printer struct {
	// State is what the printer does: paper_out, near_end, cover_open,
	// offline or jam.
	State printer.State `yaml:"state"`
	// AfterLines delays the state until this many more lines are
	// printed; 0 is now.
	AfterLines int `yaml:"after_lines"`

	mu  sync.Mutex
	set printer.Setter
}

// Needs implements Needer.
func (f *Printer) Needs() []Part { return []Part{PartPrinter} }

// Check validates the state and the line count.
func (f *Printer) Check(n *yaml.Node) error {
	if f.State == "" {
		return yamldoc.At(n, "printer needs a state (%v)", printer.States[1:])
	}
	if _, err := printer.ParseState(string(f.State)); err != nil || f.State == printer.Ready {
		return yamldoc.At(yamldoc.FindOr(n, "state"), "printer.state %q: want one of %v", f.State, printer.States[1:])
	}
	if f.AfterLines < 0 {
		return yamldoc.At(yamldoc.FindOr(n, "after_lines"), "printer.after_lines %d: want 0 or more", f.AfterLines)
	}
	return nil
}

// Inject implements Fault.
func (f *Printer) Inject(ctx context.Context, t Target) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	s, ok := t.Part(PartPrinter).(printer.Setter)
	if !ok {
		return fmt.Errorf("printer: %w: the bench has no emulated printer", ErrUnsupported)
	}
	f.mu.Lock()
	f.set = s
	f.mu.Unlock()
	s.Set(f.State, f.AfterLines)
	if f.AfterLines > 0 {
		t.Note("printer: %s after %d more line(s)", f.State, f.AfterLines)
	} else {
		t.Note("printer: %s", f.State)
	}
	return nil
}

// Clear implements Fault: the printer is ready (a pending state change is
// dropped). Idempotent; a no-op when Inject never reached the printer.
func (f *Printer) Clear(ctx context.Context, t Target) error {
	f.mu.Lock()
	s := f.set
	f.mu.Unlock()
	if s != nil {
		s.Set(printer.Ready, 0)
	}
	return nil
}
