package fault_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// fakeShaper is a fakeNet that also shapes links.
type fakeShaper struct{ fakeNet }

func (n *fakeShaper) Shape(s netproxy.Shape) (func(), error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	return n.add(fmt.Sprintf("shape %v~%v/%s loss %v rate %d/%d mss %d seed %d",
		s.Latency, s.Jitter, s.Distribution, s.Loss, s.Rate, s.Burst, s.MSS, s.Seed)), nil
}

func TestNetShape(t *testing.T) {
	specs := proxySpecs(t, `faults:
  - net_shape: {latency: 400ms, jitter: 150ms, loss: 0.1, seed: 4}
  - net_shape: {rate: 2000, burst: 64, mss: 48, distribution: uniform}
`)
	n := &fakeShaper{}
	injectClear(t, &proxyTarget{net: n}, &n.impairments, specs,
		"shape 0s~0s/uniform loss 0 rate 2000/64 mss 48 seed 0,shape 400ms~150ms/ loss 0.1 rate 0/0 mss 0 seed 4")

	// Dropped at the scenario's end: the connections holding shaped data
	// are closed before the shape goes.
	f := specs[0].Fault
	tg := &proxyTarget{net: n}
	if err := f.Inject(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	if err := f.(fault.Dropper).Drop(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	if h := n.history(); !strings.HasSuffix(h, "discard,-shape 400ms~150ms/ loss 0.1 rate 0/0 mss 0 seed 4") {
		t.Fatalf("drop: %s", h)
	}
	if d := fault.MaxDelayOf(f); d != 400*time.Millisecond {
		t.Fatalf("MaxDelay %v, want the latency", d)
	}
	// A proxy that cannot shape is unsupported, not a silent pass.
	if err := f.Inject(t.Context(), &proxyTarget{net: &fakeNet{}}); err == nil {
		t.Fatal("inject on a proxy without Shape: no error")
	}
}

func TestNetShapeInvalid(t *testing.T) {
	for src, want := range map[string]string{
		"faults:\n  - net_shape: {latency: 1s, loss: 1.5}\n":            "s.yaml:2:36: net_shape: netproxy: invalid setting: shape: loss 1.5",
		"faults:\n  - net_shape: {}\n":                                  "s.yaml:2:16: net_shape: netproxy: invalid setting: shape: nothing to shape",
		"faults:\n  - net_shape: {latency: 1s, distribution: pareto}\n": "s.yaml:2:44: net_shape: netproxy: invalid setting: shape: distribution",
	} {
		var doc struct {
			Faults []fault.Spec `yaml:"faults"`
		}
		err := yamldoc.Decode("s.yaml", []byte(src), &doc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}
