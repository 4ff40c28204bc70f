package fault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// TestUnfired: a fault armed with a trigger that never came is unfired;
// one whose trigger came, and one injected at once, are not.
func TestUnfired(t *testing.T) {
	ctx := t.Context()
	specs := proxySpecs(t, `faults:
  - net_stall: {}
    when: {mti: "0400"}
    id: never
  - net_stall: {}
    when: {mti: "0200"}
    id: fires
  - net_stall: {}
`)
	s := fault.NewSchedule(ctx, &proxyTarget{net: &fakeNet{}})
	for i := range specs {
		if err := s.Arm(ctx, &specs[i]); err != nil {
			t.Fatal(err)
		}
	}
	s.Notify(fault.Event{Kind: fault.EventMTI, MTI: "0200"})
	if err := s.ClearAll(ctx); err != nil {
		t.Fatal(err)
	}
	un := s.Unfired()
	if len(un) != 1 || un[0].ID != "never" {
		t.Errorf("unfired %v, want only the 0400 one", un)
	}
}

// TestMustFireNeedsATrigger: must_fire on a fault injected at once is
// INVALID (it always fires: the author meant a trigger).
func TestMustFireNeedsATrigger(t *testing.T) {
	var doc struct {
		Faults []fault.Spec `yaml:"faults"`
	}
	err := yamldoc.Decode("s.yaml", []byte("faults:\n  - net_stall: {}\n    must_fire: true\n"), &doc)
	if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), "s.yaml:3:16: must_fire") {
		t.Errorf("got %v, want INVALID at must_fire", err)
	}
	if err := yamldoc.Decode("s.yaml", []byte("faults:\n  - net_stall: {}\n    must_fire: true\n    when: {mti: \"0200\"}\n"), &doc); err != nil {
		t.Errorf("with a trigger: %v", err)
	}
}
