package bench

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// TestPrinterLine: the printer line is checked like the other serial
// lines, and only an emulated one is a part faults can act on.
func TestPrinterLine(t *testing.T) {
	base := emulated(t)
	const shipped = "printer:\n  port: emulated\n"
	if !strings.Contains(base, shipped) {
		t.Fatalf("the shipped bench has no emulated printer")
	}
	for _, tc := range []struct{ block, want string }{
		{"printer:\n  port: \"\"\n", "printer.port: a device path"},
		{"printer:\n  port: emulated\n  baud: 10\n", "printer.baud: 10: want 50 to 4000000"},
	} {
		var b Bench
		err := yamldoc.Decode("b.yaml", []byte(strings.Replace(base, shipped, tc.block, 1)), &b)
		if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.block, err, tc.want)
		}
	}
	var b Bench
	if err := yamldoc.Decode("b.yaml", []byte(base), &b); err != nil {
		t.Fatal(err)
	}
	if b.Printer.Baud != 115200 || !slices.Contains(b.Parts(), fault.PartPrinter) {
		t.Errorf("emulated printer: baud %d, parts %v", b.Printer.Baud, b.Parts())
	}
	if err := yamldoc.Decode("b.yaml", []byte(strings.Replace(base, shipped, "printer:\n  port: /dev/ttyUSB1\n", 1)), &b); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(b.Parts(), fault.PartPrinter) {
		t.Errorf("a real printer is taken for the emulated one: %v", b.Parts())
	}
}
