package fault_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/lineproxy"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// proxyTarget is a bench with a line proxy, a network proxy and a host,
// each nil when absent.
type proxyTarget struct {
	line, net any
	host      *acquirer.Server
}

func (t *proxyTarget) Card() fault.CardSide   { return nil }
func (t *proxyTarget) Host() *acquirer.Server { return t.host }
func (t *proxyTarget) DUT() fault.DUTSide     { return nil }
func (t *proxyTarget) Note(string, ...any)    {}
func (t *proxyTarget) Part(p fault.Part) any {
	switch {
	case p == fault.PartLine && t.line != nil:
		return t.line
	case p == fault.PartNetwork && t.net != nil:
		return t.net
	}
	return nil
}

// impairments records the impairments in force on a fake proxy, and
// its log: each impairment added (+name) and taken out (-name), and
// each action (Discard, Flush), in order.
type impairments struct {
	mu     sync.Mutex
	active map[int]string
	next   int
	log    []string
}

// event logs an action.
func (im *impairments) event(what string) {
	im.mu.Lock()
	im.log = append(im.log, what)
	im.mu.Unlock()
}

// history is the log, joined.
func (im *impairments) history() string {
	im.mu.Lock()
	defer im.mu.Unlock()
	return strings.Join(im.log, ",")
}

func (im *impairments) add(what string) func() {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.active == nil {
		im.active = map[int]string{}
	}
	im.next++
	id := im.next
	im.active[id] = what
	im.log = append(im.log, "+"+what)
	return func() {
		im.mu.Lock()
		if _, ok := im.active[id]; ok {
			im.log = append(im.log, "-"+what)
		}
		delete(im.active, id)
		im.mu.Unlock()
	}
}

// now lists the impairments in force, sorted.
func (im *impairments) now() string {
	im.mu.Lock()
	defer im.mu.Unlock()
	var out []string
	for _, v := range im.active {
		out = append(out, v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// fakeLine is a lineproxy.Impairer that records.
type fakeLine struct{ impairments }

func (l *fakeLine) Cut() func() { return l.add("cut") }
func (l *fakeLine) Flush()      { l.event("flush") }
func (l *fakeLine) BitErrors(d lineproxy.Direction, rate float64, seed int64) (func(), error) {
	return l.add(fmt.Sprintf("bits %v %v %d", d, rate, seed)), nil
}
func (l *fakeLine) Delay(d time.Duration) (func(), error) { return l.add("delay " + d.String()), nil }

// proxySpecs decodes a scenario fragment with fault specs.
func proxySpecs(t *testing.T, src string) []fault.Spec {
	t.Helper()
	var doc struct {
		Faults []fault.Spec `yaml:"faults"`
	}
	if err := yamldoc.Decode("s.yaml", []byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Faults
}

// injectClear injects every spec, checks what is in force, clears them in
// order, twice, and checks nothing is left.
func injectClear(t *testing.T, tg fault.Target, im *impairments, specs []fault.Spec, want string) {
	t.Helper()
	ctx := t.Context()
	for _, s := range specs {
		if err := s.Fault.Inject(ctx, tg); err != nil {
			t.Fatalf("%s: inject: %v", s.Name, err)
		}
	}
	if got := im.now(); got != want {
		t.Fatalf("in force: %q, want %q", got, want)
	}
	for range 2 {
		for _, s := range specs {
			if err := s.Fault.Clear(ctx, tg); err != nil {
				t.Fatalf("%s: clear: %v", s.Name, err)
			}
		}
	}
	if got := im.now(); got != "" {
		t.Fatalf("after clear: %q in force", got)
	}
}

func TestLineFaults(t *testing.T) {
	specs := proxySpecs(t, `faults:
  - line_cut: {}
    when: {ecr: RESULT}
  - bit_errors: {rate: 0.01, seed: 1, direction: to_dut}
  - bit_errors: {rate: 1}
  - line_delay: {delay: 50ms}
`)
	for _, s := range specs {
		if got := fault.NeedsOf(s.Fault); !slices.Equal(got, []fault.Part{fault.PartLine}) {
			t.Errorf("%s needs %v", s.Name, got)
		}
	}
	l := &fakeLine{}
	injectClear(t, &proxyTarget{line: l}, &l.impairments, specs,
		"bits both 1 0,bits to_dut 0.01 1,cut,delay 50ms")
}

// TestLineCutClearsItsOwnCut: two cuts in force; clearing one leaves the
// other.
func TestLineCutClearsItsOwnCut(t *testing.T) {
	l := &fakeLine{}
	tg := &proxyTarget{line: l}
	a, b := &fault.LineCut{}, &fault.LineCut{}
	ctx := t.Context()
	if err := a.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := b.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := a.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if got := l.now(); got != "cut" {
		t.Fatalf("in force after clearing one of two cuts: %q", got)
	}
	b.Clear(ctx, tg)
	if got := l.now(); got != "" {
		t.Fatalf("in force: %q", got)
	}
}

// TestProxyFaultsWithoutPart: on a bench without the part, Inject fails
// with ErrUnsupported and Clear still succeeds.
func TestProxyFaultsWithoutPart(t *testing.T) {
	for _, name := range []string{"line_cut", "bit_errors", "line_delay", "host_unreachable", "net_drop",
		"net_delay", "net_stall", "net_cut", "host_no_response", "host_late", "host_malformed", "host_close", "host_decline"} {
		f, err := fault.New(name)
		if err != nil {
			t.Fatal(err)
		}
		tg := &proxyTarget{}
		if err := f.Inject(t.Context(), tg); !errors.Is(err, fault.ErrUnsupported) {
			t.Errorf("%s: inject on an empty bench: %v", name, err)
		}
		if err := f.Clear(t.Context(), tg); err != nil {
			t.Errorf("%s: clear after a failed inject: %v", name, err)
		}
		if len(fault.NeedsOf(f)) != 1 {
			t.Errorf("%s: needs %v", name, fault.NeedsOf(f))
		}
	}
}

func TestProxyFaultSettingsChecked(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"bit_errors: {rate: 0}", "s.yaml:3:24: bit_errors: rate 0"},
		{"bit_errors: {rate: 1.5}", "rate 1.5"},
		{"bit_errors: {rate: 0.1, direction: up}", "direction \"up\""},
		{"bit_errors: {rate: 0.1, sead: 1}", "unknown key \"sead\""},
		{"line_delay: {}", "positive delay"},
		{"line_cut: {delay: 1s}", "unknown key"},
		{"net_delay: {delay: -1s}", "positive delay"},
		{"net_cut: {direction: sideways}", "direction \"sideways\""},
		{"host_late: {}", "positive delay"},
		{"host_decline: {code: 5}", "code \"5\""},
		{"host_decline: {}", "code \"\""},
	} {
		var doc struct {
			Faults []fault.Spec `yaml:"faults"`
		}
		err := yamldoc.Decode("s.yaml", []byte("faults:\n  -\n    "+tc.src+"\n"), &doc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.src, err, tc.want)
		}
	}
}

// TestBitErrorsNullSettings: a fault left without settings fails at
// Inject rather than doing nothing.
func TestBitErrorsNullSettings(t *testing.T) {
	specs := proxySpecs(t, "faults:\n  - bit_errors:\n")
	l := &fakeLine{}
	tg := &proxyTarget{line: l}
	if err := specs[0].Fault.Inject(context.Background(), tg); !errors.Is(err, lineproxy.ErrConfig) {
		t.Fatalf("inject: %v", err)
	}
	if err := specs[0].Fault.Clear(context.Background(), tg); err != nil || l.now() != "" {
		t.Fatalf("clear: %v, in force %q", err, l.now())
	}
}
