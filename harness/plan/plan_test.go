package plan

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// drivers are what a static check must not link: PC/SC, and the runner
// that brings a bench up.
var drivers = []string{"github.com/ebfe/scard", "github.com/poshil/poshil/drivers/pcsc", "github.com/poshil/poshil/harness/runner"}

// TestLinksNoDriver: package plan does not link PC/SC or the runner.
func TestLinksNoDriver(t *testing.T) {
	assertNoDrivers(t, "github.com/poshil/poshil/harness/plan")
}

func assertNoDrivers(t *testing.T, pkgs ...string) {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 5 {
		t.Fatalf("go list -deps gave %q", deps)
	}
	for _, d := range deps {
		for _, bad := range drivers {
			if d == bad {
				t.Errorf("%v links %s", pkgs, bad)
			}
		}
	}
}

const scenarioDoc = `name: on a bare bench
card: visa-credit
faults:
  - net_stall: {}
steps:
  - sale: 1
  - insert: chip
  - swipe: true
  - inject:
      power_cut: {}
expect:
  outcome: APPROVED
  host: {requests: 1}
`

// TestCheckAtEachPlace: on a bench with nothing emulated, every step,
// fault and expectation the bench cannot serve is INVALID at its own
// line:col.
func TestCheckAtEachPlace(t *testing.T) {
	sc, err := scenario.Parse("s.yaml", []byte(scenarioDoc))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(sc, nil)
	if !errors.Is(err, yamldoc.ErrInvalid) {
		t.Fatalf("got %v, want INVALID", err)
	}
	for _, want := range []string{
		"s.yaml:4:5: fault net_stall needs the bench's network",
		"s.yaml:7:5: insert needs a bench with a card emulator",
		"s.yaml:8:5: swipe needs a bench with an emulated magstripe reader",
		"s.yaml:10:7: fault power_cut needs the bench's supply",
		"s.yaml:13:3: expect.host needs a bench with an emulated host",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	all := []fault.Part{fault.PartCard, fault.PartMSR, fault.PartSupply, fault.PartLine, fault.PartNetwork, fault.PartHost, fault.PartDUT}
	if err := Check(sc, all); err != nil {
		t.Errorf("on a bench with every part: %v", err)
	}
}

func TestCheckUnknownCard(t *testing.T) {
	sc, err := scenario.Parse("s.yaml", []byte("name: a\nsteps: [{sale: 1}]\nmatrix:\n  - card: visa-credit\n  - card: no-such-card\nexpect: {outcome: APPROVED}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range sc.Expand() {
		if err := Check(v, nil); err != nil {
			got = append(got, err.Error())
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "s.yaml:5:11: ") {
		t.Errorf("got %q, want one error at the variant's card, 5:11", got)
	}
}

// TestDefaultBenchParts: the emulated bench serves every part some fault
// acts on, so no scenario of the catalog is refused on it.
func TestDefaultBenchParts(t *testing.T) {
	b, err := bench.Default()
	if err != nil {
		t.Fatal(err)
	}
	served := map[fault.Part]bool{}
	for _, p := range b.Parts() {
		served[p] = true
	}
	for _, name := range fault.Names() {
		f, err := fault.New(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range fault.NeedsOf(f) {
			if !served[p] {
				t.Errorf("fault %s needs part %s; the emulated bench serves %v", name, p, b.Parts())
			}
		}
	}
}

func TestCheckProgram(t *testing.T) {
	b, err := bench.Default()
	if err != nil {
		t.Fatal(err)
	}
	missing := func(name string) (string, error) { return "", fmt.Errorf("%w: %s", bench.ErrNoProgram, name) }
	err = CheckProgram(b, missing)
	if !errors.Is(err, yamldoc.ErrInvalid) || !errors.Is(err, bench.ErrNoProgram) {
		t.Fatalf("CheckProgram = %v, want an INVALID ErrNoProgram", err)
	}
	if p := b.DUT.Process.ProgramAt; p.Line == 0 || !strings.HasPrefix(err.Error(), p.String()+": ") {
		t.Errorf("error %q not at the program's place %v", err, p)
	}
	found := func(name string) (string, error) { return "/bin/" + name, nil }
	if err := CheckProgram(b, found); err != nil {
		t.Errorf("CheckProgram with the program found = %v", err)
	}
}

// TestDUTConfigNeedsADUTThatTakesIt: a scenario that sets the DUT's
// config is INVALID, at its dut.config, on a bench whose DUT keeps its
// own settings (real firmware): its faults are timed for the config it
// sets. The emulated bench's reference terminal takes it.
func TestDUTConfigNeedsADUTThatTakesIt(t *testing.T) {
	doc := "name: a\ndut:\n  config:\n    timeouts: {host: 500ms}\nsteps: [{sale: 1}]\nexpect: {outcome: HOST_TIMEOUT}\n"
	sc, err := scenario.Parse("s.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	err = Check(sc, []fault.Part{fault.PartDUT})
	if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), "s.yaml:4:5: dut.config needs a bench whose DUT takes a config") {
		t.Fatalf("on a DUT without a config: %v, want INVALID at s.yaml:4:5 (the config)", err)
	}
	if err := Check(sc, []fault.Part{fault.PartDUT, fault.PartDUTConfig}); err != nil {
		t.Errorf("on a DUT that takes a config: %v", err)
	}
	b, err := bench.Default()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(b.Parts(), fault.PartDUTConfig) {
		t.Errorf("the emulated bench's parts %v lack dut_config", b.Parts())
	}
}
