package fault_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/harness/fault"
)

// fakeNet is a netproxy.Impairer that records; relistenErr makes the
// restore of a Refuse fail.
type fakeNet struct {
	impairments
	relistenErr error
}

func (n *fakeNet) Refuse() func() error {
	restore := n.add("refuse")
	return func() error { restore(); return n.relistenErr }
}
func (n *fakeNet) Drop() func() { return n.add("drop") }
func (n *fakeNet) Discard() int {
	n.event("discard")
	return 1
}
func (n *fakeNet) Stall() func() { return n.add("stall") }
func (n *fakeNet) Delay(d time.Duration) (func(), error) {
	return n.add("delay " + d.String()), nil
}
func (n *fakeNet) CutMidMessage(d netproxy.Direction, seed int64) (func(), error) {
	return n.add(fmt.Sprintf("cut %v %d", d, seed)), nil
}

func TestNetworkFaults(t *testing.T) {
	specs := proxySpecs(t, `faults:
  - host_unreachable: {}
  - net_drop:
  - net_delay: {delay: 2s}
  - net_stall: {}
  - net_cut: {seed: 3, direction: to_terminal}
    when: {mti: "0200"}
  - net_cut: {}
`)
	for _, s := range specs {
		if got := fault.NeedsOf(s.Fault); !slices.Equal(got, []fault.Part{fault.PartNetwork}) {
			t.Errorf("%s needs %v", s.Name, got)
		}
	}
	n := &fakeNet{}
	injectClear(t, &proxyTarget{net: n}, &n.impairments, specs,
		"cut both 0,cut to_terminal 3,delay 2s,drop,refuse,stall")
}

// TestHostUnreachableClearFails: a proxy that cannot listen again makes
// Clear fail (the bench is then broken), and a second Clear is quiet.
func TestHostUnreachableClearFails(t *testing.T) {
	n := &fakeNet{relistenErr: netproxy.ErrListen}
	tg := &proxyTarget{net: n}
	f := &fault.HostUnreachable{}
	if err := f.Inject(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	if err := f.Clear(t.Context(), tg); !errors.Is(err, netproxy.ErrListen) {
		t.Fatalf("clear: %v", err)
	}
	if err := f.Clear(t.Context(), tg); err != nil {
		t.Fatalf("second clear: %v", err)
	}
}
