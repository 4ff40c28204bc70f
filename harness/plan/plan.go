// Package plan checks, before a bench moves, that a scenario can run on a
// bench: the cards it names are on the shelf, and the bench has every part
// its steps, faults and expectations need. A scenario that cannot run is
// INVALID (yamldoc.Error at the offending value), never a FAIL.
//
// It reads only descriptions (scenario, bench, shelf), so `poshil validate`
// links no driver: no PC/SC, no serial port, no process.
package plan

import (
	"errors"
	"fmt"
	"slices"

	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Check checks what a scenario names against the shelf and a bench's parts
// (bench.Bench.Parts): cards exist, the bench can present emulated cards
// and swipes, its host is emulated for host expectations, its DUT takes
// the scenario's dut.config, and it has every part the scenario's faults
// need. Every problem is a yamldoc.Error at its
// place in the scenario's file.
func Check(sc *scenario.Scenario, parts []fault.Part) error {
	has := func(p fault.Part) bool { return slices.Contains(parts, p) }
	var errs []error
	at := func(line, col int, format string, args ...any) {
		errs = append(errs, &yamldoc.Error{Pos: yamldoc.Pos{File: sc.File, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)})
	}
	checkFault := func(spec *fault.Spec) {
		for _, need := range fault.NeedsOf(spec.Fault) {
			if !has(need) {
				at(spec.Line, spec.Col, "fault %s needs the bench's %s, which this bench does not have (%v)", spec.Name, need, fault.ErrUnsupported)
			}
		}
	}
	for i := range sc.Faults {
		checkFault(&sc.Faults[i])
	}
	if sc.Card.Name != "" {
		if _, err := cards.Lookup(sc.Card.Name); err != nil {
			errs = append(errs, sc.Card.Errorf(sc.File, "%v", err))
		}
	}
	for _, st := range sc.Steps {
		switch {
		case st.Inject != nil:
			checkFault(st.Inject)
		case st.Swipe != nil && !has(fault.PartMSR):
			at(st.Line, st.Col, "swipe needs a bench with an emulated magstripe reader (msr)")
		case st.Reprint != nil && !has(fault.PartPrinter):
			at(st.Line, st.Col, "reprint needs a bench with an emulated printer (printer.port: emulated)")
		case st.Insert != nil && !has(fault.PartCard):
			at(st.Line, st.Col, "insert needs a bench with a card emulator (card.emulator); this bench has real cards only")
		}
	}
	if sc.Expect.Host != nil && !has(fault.PartHost) {
		host := sc.Expect.At.Host
		at(host.Line, host.Col, "expect.host needs a bench with an emulated host (host.emulated)")
	}
	if r := sc.Expect.Receipt; r != nil && !has(fault.PartPrinter) {
		at(r.At.Receipt.Line, r.At.Receipt.Col, "expect.receipt needs a bench with an emulated printer (printer.port: emulated)")
	}
	// A scenario that sets the DUT's config times its faults and waits
	// against it: on firmware that keeps its own timeouts the verdict
	// would be about the scenario's numbers, not the firmware.
	if d := sc.DUT; d != nil && len(d.Config) > 0 && !has(fault.PartDUTConfig) {
		at(d.At.Line, d.At.Col, "dut.config needs a bench whose DUT takes a config (dut.process.config); this bench's DUT keeps its own settings, and the scenario's faults and waits are timed for the ones it sets")
	}
	return errors.Join(errs...)
}
