package fault_test

import (
	"testing"

	"github.com/poshil/poshil/harness/fault"
)

// TestDropOrder: a dropped network fault closes the connections before
// it is taken out (else what it held would pass in between); a dropped
// line delay is taken out, then what the line held is flushed. Clear
// does neither.
func TestDropOrder(t *testing.T) {
	for _, tc := range []struct {
		src, clear, drop string
	}{
		{"net_stall: {}", "+stall,-stall", "+stall,discard,-stall"},
		{"net_delay: {delay: 1s}", "+delay 1s,-delay 1s", "+delay 1s,discard,-delay 1s"},
		{"line_delay: {delay: 1s}", "+delay 1s,-delay 1s", "+delay 1s,-delay 1s,flush"},
	} {
		for _, drop := range []bool{false, true} {
			n, l := &fakeNet{}, &fakeLine{}
			tg := &proxyTarget{net: n, line: l}
			f := fault.Instance(proxySpecs(t, "faults:\n  - "+tc.src+"\n")[0].Fault)
			if err := f.Inject(t.Context(), tg); err != nil {
				t.Fatal(err)
			}
			end, want := f.Clear, tc.clear
			if drop {
				end, want = f.(fault.Dropper).Drop, tc.drop
			}
			for range 2 { // idempotent
				if err := end(t.Context(), tg); err != nil {
					t.Fatal(err)
				}
			}
			if got := n.history() + l.history(); got != want {
				t.Errorf("%s (drop %v): %s, want %s", tc.src, drop, got, want)
			}
		}
	}
}
