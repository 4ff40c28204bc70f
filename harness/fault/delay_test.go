package fault_test

import (
	"testing"
	"time"

	"github.com/poshil/poshil/harness/fault"
)

// TestMaxDelay: the faults that delay say how long, from their settings;
// a fault that holds until it ends is bounded by its for:.
func TestMaxDelay(t *testing.T) {
	for _, tc := range []struct {
		src         string
		fault, spec time.Duration // MaxDelayOf(spec.Fault), spec.MaxDelay()
	}{
		{"line_delay: {delay: 50ms}", 50 * time.Millisecond, 50 * time.Millisecond},
		{"net_delay: {delay: 2s}", 2 * time.Second, 2 * time.Second},
		{"slow_card: {command: GPO, delay: 3s}", 3 * time.Second, 3 * time.Second},
		{"host_late: {delay: 5s}", 5 * time.Second, 5 * time.Second},
		{"brownout: {to: 3V, ramp: 300ms}", 300 * time.Millisecond, 300 * time.Millisecond},
		{"brownout: {profile: [{to: 3.9V, hold: 200ms}, {to: 3.5V, hold: 100ms}, {to: 4.2V, hold: 1h}]}", 300 * time.Millisecond, 300 * time.Millisecond},
		{"net_stall: {}\n    for: 2500ms", 0, 2500 * time.Millisecond},
		{"net_stall: {}", 0, 0},
		{"power_cut: {}\n    for: 200ms", 0, 200 * time.Millisecond},
		{"sag: {to: 3.9V}\n    for: 1s", 0, 0},
		{"net_drop: {}", 0, 0},
	} {
		specs, err := powerSpecs("faults:\n  - " + tc.src + "\n")
		if err != nil {
			t.Fatal(err)
		}
		if got := fault.MaxDelayOf(specs[0].Fault); got != tc.fault {
			t.Errorf("%s: MaxDelayOf %v, want %v", tc.src, got, tc.fault)
		}
		if got := specs[0].MaxDelay(); got != tc.spec {
			t.Errorf("%s: Spec.MaxDelay %v, want %v", tc.src, got, tc.spec)
		}
	}
}
