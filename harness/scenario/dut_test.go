package scenario

import (
	"strings"
	"testing"
)

// TestDUTConfig: dut.config decodes nested (a timeout under timeouts), and
// a dut block that changes nothing is INVALID at its place.
func TestDUTConfig(t *testing.T) {
	const base = "name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n"
	s, err := Parse("d.yaml", []byte(base+"dut:\n  config:\n    timeouts: {host: 1s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h := s.DUT.Config["timeouts"].(map[string]any)["host"]; h != "1s" {
		t.Errorf("timeouts.host = %v, want 1s", h)
	}
	for doc, at := range map[string]string{"dut: {}\n": "d.yaml:4:6:", "dut:\n  config: {}\n": "d.yaml:5:11:"} {
		_, err := Parse("d.yaml", []byte(base+doc))
		if err == nil || !strings.Contains(err.Error(), at+" dut needs config") {
			t.Errorf("%q: %v, want INVALID at %s", doc, err, at)
		}
	}
}
