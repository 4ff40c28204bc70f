package oracle

import (
	"strings"
	"testing"
)

// TestWrongPANToTheHostFails: an authorisation for another card number is
// a FAIL, quoted masked, even when everything else is right.
func TestWrongPANToTheHostFails(t *testing.T) {
	sc := load(t, late)
	s := good()
	s.log.PAN = "4761739001010143"
	s.log.Host.PANs = []string{"4761739001010143"}
	if err := Judge("late.yaml", &sc.Expect, s.log); err != nil {
		t.Fatalf("the card's own PAN: %v", err)
	}
	s.log.Host.PANs = []string{"0000321001019421"}
	f := find(t, failures(t, Judge("late.yaml", &sc.Expect, s.log)), "card number to the host")
	for _, want := range []string{"request 1 with card number 000032******9421", "the card presented is 476173******0143"} {
		if !strings.Contains(f.Error(), want) {
			t.Errorf("%q lacks %q", f.Error(), want)
		}
	}
	if strings.Contains(f.Error(), "0000321001019421") || strings.Contains(f.Error(), "4761739001010143") {
		t.Errorf("a PAN in clear: %s", f.Error())
	}
	// No card profile, or no host: nothing to compare.
	s.log.PAN = ""
	if err := Judge("late.yaml", &sc.Expect, s.log); err != nil {
		t.Errorf("no card PAN: %v", err)
	}
}
