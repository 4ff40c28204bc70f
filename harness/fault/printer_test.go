package fault_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/printer"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

type printerTarget struct{ p any }

func (t *printerTarget) Card() fault.CardSide    { return nil }
func (t *printerTarget) Host() *acquirer.Server  { return nil }
func (t *printerTarget) DUT() fault.DUTSide      { return nil }
func (t *printerTarget) Note(f string, a ...any) {}
func (t *printerTarget) Part(p fault.Part) any {
	if p == fault.PartPrinter {
		return t.p
	}
	return nil
}

func TestPrinterFaultInjectClear(t *testing.T) {
	specs, err := msrSpecs("faults:\n  - printer: {state: paper_out, after_lines: 2}\n    id: paper\n")
	if err != nil {
		t.Fatal(err)
	}
	f := specs[0].Fault.(*fault.Printer)
	if n := fault.NeedsOf(f); len(n) != 1 || n[0] != fault.PartPrinter {
		t.Fatalf("needs %v", n)
	}
	p := printer.New(nil)
	tg := &printerTarget{p: p}
	ctx := context.Background()
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("A\nB\n"))
	if p.State() != printer.PaperOut {
		t.Fatalf("after 2 lines: %s", p.State())
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if p.State() != printer.Ready {
		t.Fatalf("after Clear: %s", p.State())
	}
	// A Clear before the lines are printed drops the pending change.
	f.Inject(ctx, tg)
	f.Clear(ctx, tg)
	p.Write([]byte("A\nB\nC\n"))
	if p.State() != printer.Ready {
		t.Fatalf("a cleared fault struck later: %s", p.State())
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatal("second Clear:", err)
	}
	if err := (&fault.Printer{State: printer.Jam}).Inject(ctx, &printerTarget{}); !errors.Is(err, fault.ErrUnsupported) {
		t.Fatalf("no printer: %v", err)
	}
}

func TestPrinterFaultYAMLErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"faults:\n  - printer: {state: on_fire}\n", `s.yaml:2:22: printer.state "on_fire"`},
		{"faults:\n  - printer: {state: ready}\n", `printer.state "ready"`},
		{"faults:\n  - printer: {}\n", "printer needs a state"},
		{"faults:\n  - printer: {state: jam, after_lines: -1}\n", "s.yaml:2:40: printer.after_lines -1"},
		{"faults:\n  - printer: {state: jam, lines: 1}\n", `unknown key "lines"`},
	} {
		_, err := msrSpecs(tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%q:\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
}
