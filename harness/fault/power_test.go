package fault_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/emulated"
	"github.com/poshil/poshil/drivers/power/relay"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

const powerMV = physic.MilliVolt

// powerTarget is a bench with a supply (or none) and nothing else.
type powerTarget struct {
	supply any
	mu     sync.Mutex
	notes  []string
	noted  chan string // if set, gets every note
}

func (t *powerTarget) Card() fault.CardSide   { return nil }
func (t *powerTarget) Host() *acquirer.Server { return nil }
func (t *powerTarget) DUT() fault.DUTSide     { return nil }
func (t *powerTarget) Part(p fault.Part) any {
	if p == fault.PartSupply {
		return t.supply
	}
	return nil
}
func (t *powerTarget) Note(f string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := fmt.Sprintf(f, a...)
	t.notes = append(t.notes, n)
	if t.noted != nil {
		select {
		case t.noted <- n:
		default:
		}
	}
}

// powerChange is one change the supply announced, and when.
type powerChange struct {
	at time.Time
	emulated.Change
}

// powerBench is the emulated supply (nominal 4.2V, max 6V) with a log of
// its changes; changes also go to ch, if the test reads it.
func powerBench(t *testing.T) (*emulated.Supply, *powerTarget, func() []powerChange, chan powerChange) {
	t.Helper()
	s, err := emulated.New(filepath.Join(t.TempDir(), "supply.state"), &emulated.Opts{Max: 6 * physic.Volt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var mu sync.Mutex
	var log []powerChange
	ch := make(chan powerChange, 100)
	s.OnChange(func(_ context.Context, c emulated.Change) error {
		pc := powerChange{at: time.Now(), Change: c}
		mu.Lock()
		log = append(log, pc)
		mu.Unlock()
		select {
		case ch <- pc:
		default:
		}
		return nil
	})
	return s, &powerTarget{supply: s}, func() []powerChange {
		mu.Lock()
		defer mu.Unlock()
		return append([]powerChange(nil), log...)
	}, ch
}

func powerSpecs(src string) ([]fault.Spec, error) {
	var doc struct {
		Faults []fault.Spec `yaml:"faults"`
	}
	err := yamldoc.Decode("s.yaml", []byte(src), &doc)
	return doc.Faults, err
}

func TestPowerFaultsFromYAML(t *testing.T) {
	specs, err := powerSpecs(`faults:
  - sag: {to: 3.9V, nominal: 4200mV}
    for: 500ms
  - brownout:
      profile:
        - {to: 3.9V, hold: 200ms}
        - {to: 4.2V}
  - brownout: {from: 4V, to: 3.3V, ramp: 1s, steps: 20}
  - power_cut: {}
    when: {mti: "0100"}
  - power_cut:
`)
	if err != nil {
		t.Fatal(err)
	}
	sag := specs[0].Fault.(*fault.Sag)
	if sag.To.Potential() != 3900*powerMV || sag.Nominal.Potential() != 4200*powerMV || specs[0].For != 500*time.Millisecond {
		t.Errorf("sag: %+v for %v", sag, specs[0].For)
	}
	prof := specs[1].Fault.(*fault.Brownout)
	if len(prof.Profile) != 2 || prof.Profile[0].Hold != 200*time.Millisecond || prof.Profile[1].To.Potential() != 4200*powerMV {
		t.Errorf("profile: %+v", prof.Profile)
	}
	ramp := specs[2].Fault.(*fault.Brownout)
	if ramp.From.Potential() != 4*physic.Volt || ramp.To.Potential() != 3300*powerMV || ramp.Ramp != time.Second || ramp.Steps != 20 {
		t.Errorf("ramp: %+v", ramp)
	}
	for _, sp := range specs[3:] {
		if _, ok := sp.Fault.(*fault.PowerCut); !ok {
			t.Errorf("power_cut decoded as %T", sp.Fault)
		}
	}
	for _, sp := range specs {
		want := []fault.Part{fault.PartSupply, fault.PartVoltage} // a relay cannot sag
		if sp.Name == "power_cut" {
			want = want[:1]
		}
		if n := fault.NeedsOf(sp.Fault); !slices.Equal(n, want) {
			t.Errorf("%s needs %v, want %v", sp.Name, n, want)
		}
	}
}

func TestPowerFaultsYAMLErrors(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{"faults:\n  - sag: {to: 4.2 volts}\n", "s.yaml:2:15: power: bad voltage"},
		{"faults:\n  - sag: {to: 4.2}\n", "s.yaml:2:15: power: bad voltage \"4.2\": no unit"},
		{"faults:\n  - sag: {}\n", "s.yaml:2:10: sag: to is required"},
		{"faults:\n  - sag: {to: 3.9V, volts: 3}\n", "s.yaml:2:21: unknown key \"volts\""},
		{"faults:\n  - brownout: {}\n", "give a profile"},
		{"faults:\n  - brownout: {to: 3V, ramp: 1s, profile: [{to: 3V}]}\n", "not both"},
		{"faults:\n  - brownout: {to: 3V}\n", "ramp above 0"},
		{"faults:\n  - brownout: {to: 3V, ramp: 1s, steps: 5000}\n", "steps must be"},
		{"faults:\n  - brownout: {profile: [{to: 3V, hold: soon}]}\n", "s.yaml:2:41: want a duration"},
		{"faults:\n  - brownout: {profile: [{to: 0V}]}\n", "profile step 1"},
		{"faults:\n  - power_cut: {now: true}\n", "unknown key \"now\""},
	} {
		_, err := powerSpecs(tt.doc)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%q:\n got %v\nwant %q", tt.doc, err, tt.want)
		}
	}
}

func TestSag(t *testing.T) {
	ctx := context.Background()
	s, _, changes, _ := powerBench(t)
	tg := &powerTarget{supply: bareSupply{s}} // restore level from Measure
	f := &fault.Sag{To: power.Voltage(3900 * powerMV)}
	if err := f.Clear(ctx, tg); err != nil || len(changes()) != 0 {
		t.Fatalf("clear without inject: %v, %d changes", err, len(changes()))
	}
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Measure(ctx); v != 3900*powerMV {
		t.Errorf("after inject: %v", v)
	}
	// A second inject must not take 3.9V for the nominal voltage.
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := f.Clear(ctx, tg); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Measure(ctx); v != 4200*powerMV {
			t.Errorf("after clear: %v, want 4.2V", v)
		}
	}
	if n := len(changes()); n != 2 {
		t.Errorf("%d changes, want 2 (sag, restore)", n)
	}
}

// bareSupply hides the supply's Nominal: restore comes from Measure.
type bareSupply struct{ power.Supply }

func TestSagRestoreSources(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := powerBench(t)
	if err := s.SetVoltage(ctx, 5*physic.Volt); err != nil {
		t.Fatal(err)
	}
	tg := &powerTarget{supply: bareSupply{s}}
	f := &fault.Sag{To: power.Voltage(3900 * powerMV)}
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Measure(ctx); v != 5*physic.Volt {
		t.Errorf("restored %v, want the 5V measured before", v)
	}
	named := &fault.Sag{To: power.Voltage(3900 * powerMV), Nominal: power.Voltage(4500 * powerMV)}
	if err := named.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := named.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Measure(ctx); v != 4500*powerMV {
		t.Errorf("restored %v, want the scenario's 4.5V", v)
	}
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(ctx, tg); !errors.Is(err, fault.ErrNoNominal) {
		t.Errorf("output off, no nominal known: %v", err)
	}
}

func TestSagFailedInject(t *testing.T) {
	ctx := context.Background()
	s, tg, _, _ := powerBench(t)
	f := &fault.Sag{To: power.Voltage(7 * physic.Volt)} // over the supply's 6V
	if err := f.Inject(ctx, tg); !errors.Is(err, power.ErrRange) {
		t.Fatalf("inject over range: %v", err)
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatalf("clear after a failed inject: %v", err)
	}
	if v, _ := s.Measure(ctx); v != 4200*powerMV {
		t.Errorf("after clear: %v", v)
	}
	if err := (&fault.Sag{To: power.Voltage(3 * physic.Volt)}).Inject(ctx, &powerTarget{}); !errors.Is(err, fault.ErrUnsupported) {
		t.Errorf("no supply: %v", err)
	}
	if err := (&fault.Sag{}).Inject(ctx, tg); err == nil {
		t.Error("sag to 0V injected")
	}
}

func TestPowerCut(t *testing.T) {
	ctx := context.Background()
	s, tg, changes, _ := powerBench(t)
	f := &fault.PowerCut{}
	if err := f.Clear(ctx, tg); err != nil || len(changes()) != 0 {
		t.Fatalf("clear without inject: %v, %v", err, changes())
	}
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if s.State().Output {
		t.Error("output still on")
	}
	for range 2 {
		if err := f.Clear(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	c := changes()
	if len(c) != 2 || c[0].To.Output || !c[1].To.Output {
		t.Errorf("changes %+v, want off then on", c)
	}
	if err := f.Inject(ctx, &powerTarget{}); !errors.Is(err, fault.ErrUnsupported) {
		t.Errorf("no supply: %v", err)
	}
	if err := f.Clear(ctx, &powerTarget{}); err != nil {
		t.Errorf("clear after an unsupported inject: %v", err)
	}
}

// TestPowerCutRestartFails: the runner's restart (a change hook) failing
// makes Clear fail, and a later Clear tries again.
func TestPowerCutRestartFails(t *testing.T) {
	ctx := context.Background()
	s, tg, _, _ := powerBench(t)
	fail := true
	s.OnChange(func(_ context.Context, c emulated.Change) error {
		if c.To.Output && fail {
			return errors.New("DUT did not say READY")
		}
		return nil
	})
	f := &fault.PowerCut{}
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := f.Clear(ctx, tg); err == nil || !strings.Contains(err.Error(), "READY") {
		t.Fatalf("clear with a failing restart: %v", err)
	}
	fail = false
	if err := s.SetOutput(ctx, false); err != nil { // as if the DUT died again
		t.Fatal(err)
	}
	if err := f.Clear(ctx, tg); err != nil || !s.State().Output {
		t.Errorf("second clear: %v, output %v", err, s.State().Output)
	}
}

// powerWaitFor reads changes from ch until one reaches v, or fails.
func powerWaitFor(t *testing.T, ch chan powerChange, v physic.ElectricPotential) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case c := <-ch:
			if c.To.Voltage == v {
				return
			}
		case <-deadline:
			t.Fatalf("supply never reached %v", v)
		}
	}
}

func TestBrownoutRamp(t *testing.T) {
	ctx := context.Background()
	s, tg, changes, ch := powerBench(t)
	f := &fault.Brownout{To: power.Voltage(3200 * powerMV), Ramp: 100 * time.Millisecond, Steps: 5}
	t0 := time.Now()
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	powerWaitFor(t, ch, 3200*powerMV)
	c := changes()
	want := []physic.ElectricPotential{4000, 3800, 3600, 3400, 3200} // 4.2V at 0 is no change
	if len(c) != len(want) {
		t.Fatalf("%d changes %+v, want %v mV", len(c), c, want)
	}
	for i, w := range want {
		due := time.Duration(i+1) * 20 * time.Millisecond
		if c[i].To.Voltage != w*powerMV {
			t.Errorf("step %d: %v, want %v mV", i+1, c[i].To.Voltage, w)
		}
		if at := c[i].at.Sub(t0); at < due {
			t.Errorf("step %d at %v, before its time %v", i+1, at, due)
		}
	}
	if total := c[len(c)-1].at.Sub(t0); total > 600*time.Millisecond {
		t.Errorf("a 100ms ramp took %v", total)
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Measure(ctx); v != 4200*powerMV {
		t.Errorf("after clear: %v", v)
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Errorf("second clear: %v", err)
	}
}

func TestBrownoutProfile(t *testing.T) {
	ctx := context.Background()
	_, tg, changes, ch := powerBench(t)
	f := &fault.Brownout{Profile: []fault.BrownoutStep{
		{To: power.Voltage(3900 * powerMV), Hold: 30 * time.Millisecond},
		{To: power.Voltage(3500 * powerMV), Hold: 30 * time.Millisecond},
		{To: power.Voltage(4100 * powerMV)},
	}}
	t0 := time.Now()
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if c := changes(); len(c) != 1 || c[0].To.Voltage != 3900*powerMV {
		t.Fatalf("Inject did not set the first step at once: %+v", c)
	}
	powerWaitFor(t, ch, 4100*powerMV)
	c := changes()
	if len(c) != 3 || c[1].To.Voltage != 3500*powerMV || c[1].at.Sub(t0) < 30*time.Millisecond || c[2].at.Sub(t0) < 60*time.Millisecond {
		t.Errorf("profile: %+v", c)
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(ctx, tg); err != nil {
		t.Errorf("inject again after clear: %v", err)
	}
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
}

// TestBrownoutClearStops: Clear in the middle of a long ramp stops it at
// once and restores nominal; nothing changes after Clear returns.
func TestBrownoutClearStops(t *testing.T) {
	ctx := context.Background()
	s, tg, changes, _ := powerBench(t)
	f := &fault.Brownout{From: power.Voltage(4 * physic.Volt), To: power.Voltage(3 * physic.Volt), Ramp: time.Hour, Steps: 10}
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(ctx, tg); err == nil {
		t.Error("second inject while running succeeded")
	}
	start := time.Now()
	bounded, cancelBound := context.WithTimeout(ctx, 5*time.Second)
	defer cancelBound()
	if err := f.Clear(bounded, tg); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("clear took %v", d)
	}
	if v, _ := s.Measure(ctx); v != 4200*powerMV {
		t.Errorf("after clear: %v", v)
	}
	if n := len(changes()); n != 2 {
		t.Errorf("%d changes, want 2 (from, restore)", n)
	}
	// The walk also stops with Inject's ctx.
	cctx, cancel := context.WithCancel(ctx)
	if err := f.Inject(cctx, tg); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := f.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Measure(ctx); v != 4200*powerMV {
		t.Errorf("after cancel and clear: %v", v)
	}
}

// TestBrownoutStepFails: a step the supply refuses ends the walk; Clear
// reports it and still restores nominal.
func TestBrownoutStepFails(t *testing.T) {
	ctx := context.Background()
	s, tg, _, _ := powerBench(t)
	f := &fault.Brownout{Profile: []fault.BrownoutStep{
		{To: power.Voltage(3900 * powerMV), Hold: time.Millisecond},
		{To: power.Voltage(9 * physic.Volt)}, // over the 6V supply
	}}
	tg.noted = make(chan string, 10)
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	for failed := false; !failed; {
		select {
		case n := <-tg.noted:
			failed = strings.Contains(n, "step 2")
		case <-time.After(5 * time.Second):
			t.Fatal("the failing step was never noted")
		}
	}
	err := f.Clear(ctx, tg)
	if !errors.Is(err, power.ErrRange) || !strings.Contains(err.Error(), "step 2") {
		t.Errorf("clear after a failed step: %v", err)
	}
	if v, _ := s.Measure(ctx); v != 4200*powerMV {
		t.Errorf("after clear: %v", v)
	}
}

// TestPowerFaultsOnRelay: a relay cannot set a voltage; sag and brownout
// say the bench cannot do them, power_cut works.
func TestPowerFaultsOnRelay(t *testing.T) {
	ctx := context.Background()
	p := &gpiotest.Pin{N: "GPIO17", Num: 17}
	r, err := relay.New(p, &relay.Opts{Nominal: 12 * physic.Volt})
	if err != nil {
		t.Fatal(err)
	}
	tg := &powerTarget{supply: r}
	for _, f := range []fault.Fault{
		&fault.Sag{To: power.Voltage(10 * physic.Volt)},
		&fault.Brownout{To: power.Voltage(10 * physic.Volt), Ramp: time.Second},
	} {
		if err := f.Inject(ctx, tg); !errors.Is(err, fault.ErrUnsupported) || !errors.Is(err, power.ErrUnsupported) {
			t.Errorf("%T on a relay: %v", f, err)
		}
		if err := f.Clear(ctx, tg); err != nil {
			t.Errorf("clear %T after the relay refused it: %v", f, err)
		}
	}
	cut := &fault.PowerCut{}
	if err := cut.Inject(ctx, tg); err != nil || p.Read() != gpio.Low {
		t.Fatalf("power_cut on a relay: %v, pin %v", err, p.Read())
	}
	if err := cut.Clear(ctx, tg); err != nil || p.Read() != gpio.High {
		t.Fatalf("clear power_cut on a relay: %v, pin %v", err, p.Read())
	}
}
