package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// TestCheckPrinter: the printer fault, the reprint step and receipt
// expectations are INVALID, at their place, on a bench without the
// emulated printer.
func TestCheckPrinter(t *testing.T) {
	sc, err := scenario.Parse("s.yaml", []byte(`name: printer
card: visa-credit
faults:
  - printer: {state: paper_out}
steps:
  - sale: 1
  - reprint: true
expect:
  outcome: APPROVED
  receipt: {count: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(sc, []fault.Part{fault.PartCard})
	if !errors.Is(err, yamldoc.ErrInvalid) {
		t.Fatalf("got %v, want INVALID", err)
	}
	for _, want := range []string{
		"s.yaml:4:5: fault printer needs the bench's printer",
		"s.yaml:7:5: reprint needs a bench with an emulated printer",
		"s.yaml:10:12: expect.receipt needs a bench with an emulated printer",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if err := Check(sc, []fault.Part{fault.PartCard, fault.PartPrinter}); err != nil {
		t.Errorf("with the printer: %v", err)
	}
}
