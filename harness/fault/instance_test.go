package fault_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/fault"
)

// TestArmSharesNothing arms one decoded spec in two schedules, as two
// matrix variants or --repeat rounds do: each gets its own instance, so
// the first run's ClearAll takes out only its own stall, and the spec's
// fault value is left as decoded.
func TestArmSharesNothing(t *testing.T) {
	ctx := t.Context()
	spec := proxySpecs(t, "faults:\n  - net_stall: {}\n")[0]
	before := spec
	n := &fakeNet{}
	tg := &proxyTarget{net: n}
	runA, runB := fault.NewSchedule(ctx, tg), fault.NewSchedule(ctx, tg)
	if err := runA.Arm(ctx, &spec); err != nil {
		t.Fatal(err)
	}
	if err := runB.Arm(ctx, &spec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(spec.Fault, &fault.NetStall{}) || !reflect.DeepEqual(spec, before) {
		t.Errorf("Arm changed the spec: %#v", spec.Fault)
	}
	if got := n.now(); got != "stall,stall" {
		t.Fatalf("in force %q, want two stalls", got)
	}
	if err := runA.ClearAll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.now(); got != "stall" {
		t.Fatalf("after the first run's ClearAll %q in force, want the second run's stall", got)
	}
	// A repeat round arms the same spec again.
	runC := fault.NewSchedule(ctx, tg)
	if err := runC.Arm(ctx, &spec); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*fault.Schedule{runB, runC} {
		if err := s.ClearAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.now(); got != "" {
		t.Fatalf("after every ClearAll %q in force", got)
	}
}

// TestArmSharesNoWalk: a brownout still walking in one run does not stop
// another run from starting its own.
func TestArmSharesNoWalk(t *testing.T) {
	ctx := t.Context()
	specs, err := powerSpecs("faults:\n  - brownout: {to: 3.3V, ramp: 1h, steps: 2, nominal: 4.2V}\n")
	if err != nil {
		t.Fatal(err)
	}
	_, tg, _, _ := powerBench(t)
	runA, runB := fault.NewSchedule(ctx, tg), fault.NewSchedule(ctx, tg)
	if err := runA.Arm(ctx, &specs[0]); err != nil {
		t.Fatal(err)
	}
	if err := runB.Arm(ctx, &specs[0]); err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, s := range []*fault.Schedule{runB, runA} {
		if err := s.ClearAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInstanceCopiesConfig: an instance has the configuration (deep) and
// none of the state.
func TestInstanceCopiesConfig(t *testing.T) {
	cfg := &fault.Brownout{Profile: []fault.BrownoutStep{{To: 3900, Hold: time.Second}, {To: 3500}}}
	inst := fault.Instance(cfg).(*fault.Brownout)
	if inst == cfg || !reflect.DeepEqual(inst, cfg) {
		t.Fatalf("instance %#v, want a copy of %#v", inst, cfg)
	}
	inst.Profile[0].To = 1
	if cfg.Profile[0].To != 3900 {
		t.Error("the instance shares the config's profile")
	}
}
