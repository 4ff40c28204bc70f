package fault_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/fault"
)

// clockDUT records the clocks it was given and its storage state.
type clockDUT struct {
	powerOnlyDUT
	clocks []string
	full   []bool
}

func (d *clockDUT) SetClock(_ context.Context, v string) error {
	d.clocks = append(d.clocks, v)
	return nil
}

func (d *clockDUT) SetStorageFull(_ context.Context, full bool) error {
	d.full = append(d.full, full)
	return nil
}

// Inject gives the DUT the clock, Clear the real clock again; a bench
// that cannot set its DUT's clock cannot run the fault.
func TestClockSetsAndClears(t *testing.T) {
	specs, err := powerSpecs("faults:\n  - clock: {faketime: \"-400d\"}\n")
	if err != nil {
		t.Fatal(err)
	}
	d := &clockDUT{}
	ctx := context.Background()
	f := specs[0].Fault
	if err := f.Inject(ctx, &crashTarget{dut: d}); err != nil {
		t.Fatal(err)
	}
	if err := f.Clear(ctx, &crashTarget{dut: d}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.clocks, []string{"-400d", ""}) {
		t.Errorf("clocks %q, want [-400d, \"\"]", d.clocks)
	}
	if got := fault.NeedsOf(f); !slices.Equal(got, []fault.Part{fault.PartDUT}) {
		t.Errorf("needs %v", got)
	}
	for _, dut := range []fault.DUTSide{nil, powerOnlyDUT{}} {
		if err := f.Inject(ctx, &crashTarget{dut: dut}); !errors.Is(err, fault.ErrUnsupported) {
			t.Errorf("DUT %T: %v, want ErrUnsupported", dut, err)
		}
	}
}

// A clock poshil cannot apply the same way to every DUT is INVALID at its
// place.
func TestClockInvalid(t *testing.T) {
	for src, want := range map[string]string{
		"{}":                                  "s.yaml:2:12: clock: faketime is required",
		"{faketime: \"2023-06-15 12:00:00\"}": "s.yaml:2:23: clock: faketime: want @YYYY-MM-DD",
		"{faketime: \"+1d x2\"}":              "s.yaml:2:23: clock: faketime: want @YYYY-MM-DD",
	} {
		if _, err := powerSpecs("faults:\n  - clock: " + src + "\n"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

// storage_full fills the DUT's storage and Clear empties it.
func TestStorageFullSetsAndClears(t *testing.T) {
	specs, err := powerSpecs("faults:\n  - storage_full:\n")
	if err != nil {
		t.Fatal(err)
	}
	d := &clockDUT{}
	ctx := context.Background()
	f := specs[0].Fault
	if err := f.Inject(ctx, &crashTarget{dut: d}); err != nil {
		t.Fatal(err)
	}
	if err := f.Clear(ctx, &crashTarget{dut: d}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.full, []bool{true, false}) {
		t.Errorf("storage %v, want [true false]", d.full)
	}
	if err := f.Inject(ctx, &crashTarget{dut: powerOnlyDUT{}}); !errors.Is(err, fault.ErrUnsupported) {
		t.Errorf("%v, want ErrUnsupported", err)
	}
}
