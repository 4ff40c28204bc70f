package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/terminal"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func parse(t *testing.T, file, body string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse(file, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

const chipSale = `name: chip sale
card: visa-credit
steps:
  - sale: 1.00
  - insert: chip
expect: {outcome: APPROVED}
`

const powerCut = `name: power cut
card: visa-credit
faults:
  - power_cut: {}
    when: {ecr: DISPLAY, text: ENTER PIN}
steps:
  - sale: 1.00
  - insert: chip
expect: {outcome: POWER_FAIL_RECOVERED}
`

const printerFW = `name: receipt
card: visa-credit
needs:
  has: [printer]
  firmware: "2.1"
  labels: [lab-a]
steps:
  - sale: 1.00
  - insert: chip
expect: {outcome: APPROVED}
`

// A lab inventory: a real bench without power control and the embedded
// emulated one (which derives chip, magstripe, power and line relay from
// its bench file).
const labInventory = `benches:
  - name: desk-1
    bench: desk.yaml
    has: [chip, printer]
    firmware: 2.10.0
    labels: [lab-a]
  - name: emu
    firmware: refterm-1.0
`

const deskBench = `name: desk
card: {reader: "ACS ACR39U"}
ecr: {port: /dev/ttyUSB0}
host: {address: 10.0.0.5:8583}
dut: {adapter: ecr}
`

func lab(t *testing.T) *Inventory {
	t.Helper()
	d := t.TempDir()
	write(t, d, "desk.yaml", deskBench)
	inv, err := Load(write(t, d, "lab.yaml", labInventory))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestLoadDerivesCapabilities(t *testing.T) {
	inv := lab(t)
	if got := strings.Join(inv.Get("desk-1").Caps, ","); got != "chip,printer" {
		t.Errorf("desk-1 caps %q, want chip,printer (declared; its bench file has no emulated part)", got)
	}
	if got := strings.Join(inv.Get("emu").Caps, ","); got != "chip,dut_config,line_relay,magstripe,power,voltage" {
		t.Errorf("emu caps %q, want what the emulated bench file gives", got)
	}
}

func TestLoadErrorsAtTheirPlace(t *testing.T) {
	d := t.TempDir()
	for name, c := range map[string]struct{ body, want string }{
		"unknown capability": {"benches:\n  - name: a\n    has: [chip, toaster]\n", `:3:17: has "toaster": not a capability`},
		"duplicate":          {"benches:\n  - name: a\n  - name: a\n", `:3:11: bench "a" is listed twice`},
		"no name":            {"benches:\n  - has: [chip]\n", `bench name ""`},
		"empty":              {"benches: []\n", "at least one bench"},
		"unknown key":        {"benches:\n  - name: a\n    cpu: 4\n", ":3:5:"},
		"missing bench file": {"benches:\n  - name: a\n    bench: nowhere.yaml\n", ":2:5: bench a:"},
	} {
		_, err := Load(write(t, d, "inv.yaml", c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		var ye *yamldoc.Error
		if err != nil && !errors.As(err, &ye) {
			t.Errorf("%s: %T is not a yamldoc error", name, err)
		}
	}
}

func TestDefault(t *testing.T) {
	inv, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := min(max(2*runtime.NumCPU(), 4), 16)
	if len(inv.Benches) != want || want < 4 {
		t.Fatalf("%d benches, want %d (2 x CPU in [4,16])", len(inv.Benches), want)
	}
	if inv.Benches[0].Firmware != terminal.Version {
		t.Errorf("firmware %q, want the reference terminal's %q", inv.Benches[0].Firmware, terminal.Version)
	}
	for _, b := range inv.Benches {
		for _, c := range []string{"chip", "magstripe", "power", "line_relay"} {
			if ok, _ := b.Can(&scenario.Scenario{Needs: &scenario.Needs{Has: []string{c}}}); !ok {
				t.Errorf("%s cannot do %s", b.Name, c)
			}
		}
	}
}

func TestRequiredFromStepsAndFaults(t *testing.T) {
	sc := parse(t, "cut.yaml", powerCut)
	var got []string
	for _, n := range sc.Required() {
		got = append(got, n.Cap+"@"+n.At.String()+" "+n.Why)
	}
	want := "power@cut.yaml:4:5 fault power_cut|chip@cut.yaml:8:5 step insert"
	if strings.Join(got, "|") != want {
		t.Errorf("required %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestNeedsRefusesUnknownCapability(t *testing.T) {
	_, err := scenario.Parse("x.yaml", []byte(strings.Replace(printerFW, "[printer]", "[printer, fax]", 1)))
	if err == nil || !strings.Contains(err.Error(), `x.yaml:4:18: needs.has "fax": not a capability`) {
		t.Fatalf("%v", err)
	}
}

func TestMatchReportsWhatCannotRun(t *testing.T) {
	inv := lab(t)
	cut := parse(t, "cut.yaml", powerCut)
	rec := parse(t, "receipt.yaml", printerFW)
	sale := parse(t, "sale.yaml", chipSale)
	p := inv.Match([]*scenario.Scenario{cut, rec, sale})
	if len(p.Benches) != 2 || p.Benches[0].Scenarios[0] != sale || p.Benches[1].Bench.Name != "emu" || p.Benches[1].Scenarios[0] != cut {
		t.Fatalf("plan %+v: want sale on desk-1 (the less loaded), cut on emu (the one with power)", p.Benches)
	}
	if len(p.Unrunnable) != 1 || p.Unrunnable[0].Scenario != rec {
		t.Fatalf("unrunnable %+v: want the receipt scenario", p.Unrunnable)
	}
	// desk-1 has the printer and the label but firmware 2.10.0, not 2.1;
	// emu has neither printer nor label.
	got := p.Unrunnable[0].Error()
	for _, want := range []string{"receipt.yaml:5:13:", "needs firmware 2.1; the benches have desk-1=2.10.0, emu=refterm-1.0"} {
		if !strings.Contains(got, want) {
			t.Errorf("reason %q lacks %q", got, want)
		}
	}
	// With the right firmware on desk-1 it runs there, and the sale goes
	// to the other bench.
	inv.Get("desk-1").Firmware = "2.1.4"
	p = inv.Match([]*scenario.Scenario{rec, sale})
	if len(p.Unrunnable) != 0 || len(p.Benches) != 2 || p.Benches[0].Scenarios[0] != rec || p.Benches[1].Scenarios[0] != sale {
		t.Errorf("plan %+v unrunnable %v", p.Benches, p.Unrunnable)
	}
}

func TestMatchNeedNoBenchHas(t *testing.T) {
	inv := lab(t)
	inv.Benches = inv.Benches[:1] // desk-1 alone: no power control
	p := inv.Match([]*scenario.Scenario{parse(t, "cut.yaml", powerCut)})
	if len(p.Unrunnable) != 1 {
		t.Fatalf("%+v", p)
	}
	if got, want := p.Unrunnable[0].Error(), "cut.yaml:4:5: no bench can run \"power cut\": fault power_cut needs power, which no bench of"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want prefix %q", got, want)
	}
}

func TestMatchNeedsNeverTogether(t *testing.T) {
	inv := &Inventory{File: "inv.yaml", Benches: []*Bench{{Name: "a", Caps: []string{"power"}}, {Name: "b", Caps: []string{"chip"}}}}
	p := inv.Match([]*scenario.Scenario{parse(t, "cut.yaml", powerCut)})
	if len(p.Unrunnable) != 1 || !strings.Contains(p.Unrunnable[0].Reason, "no bench has all it needs: a lacks chip; b lacks power") {
		t.Errorf("%+v", p.Unrunnable)
	}
}

func TestMatchSpreadsEvenly(t *testing.T) {
	inv, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var scs []*scenario.Scenario
	for i := 0; i < 2*len(inv.Benches)+1; i++ {
		scs = append(scs, parse(t, "sale.yaml", chipSale))
	}
	p := inv.Match(scs)
	if len(p.Benches) != len(inv.Benches) {
		t.Fatalf("%d benches used, want all %d", len(p.Benches), len(inv.Benches))
	}
	for i, a := range p.Benches {
		want := 2
		if i == 0 {
			want = 3
		}
		if len(a.Scenarios) != want {
			t.Errorf("%s: %d scenarios, want %d", a.Bench.Name, len(a.Scenarios), want)
		}
	}
}

func TestFirmwareMatches(t *testing.T) {
	for _, c := range []struct {
		have, want string
		ok         bool
	}{
		{"2.1", "2.1", true}, {"2.1.4", "2.1", true}, {"2.1-rc1", "2.1", true},
		{"2.10", "2.1", false}, {"2", "2.1", false}, {"", "2.1", false}, {"refterm-1.0", "refterm", true},
	} {
		if got := FirmwareMatches(c.have, c.want); got != c.ok {
			t.Errorf("FirmwareMatches(%q, %q) = %v", c.have, c.want, got)
		}
	}
}

// TestMatchVoltageNotOnARelay: a sag needs a supply that sets its
// voltage; a bench whose supply is a relay can cut power but not that, so
// the sag goes to the emulated bench and the cut may go to either; with
// the relay bench alone the sag cannot run, and the reason says voltage.
func TestMatchVoltageNotOnARelay(t *testing.T) {
	d := t.TempDir()
	write(t, d, "relay.yaml", deskBench+"power: {supply: relay, pin: GPIO17, nominal: 12V}\n")
	inv, err := Load(write(t, d, "lab.yaml", "benches:\n  - name: desk-relay\n    bench: relay.yaml\n    has: [chip]\n  - name: emu\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(inv.Get("desk-relay").Caps, ","); got != "chip,power" {
		t.Errorf("desk-relay caps %q, want chip,power (a relay: no voltage)", got)
	}
	if got := strings.Join(inv.Get("emu").Caps, ","); !strings.Contains(got, "voltage") {
		t.Errorf("emu caps %q, want voltage among them", got)
	}
	sag := parse(t, "sag.yaml", "name: sag\ncard: visa-credit\nfaults:\n  - sag: {to: 3.3V}\nsteps:\n  - sale: 1.00\n  - insert: chip\nexpect: {outcome: LOW_POWER}\n")
	cut := parse(t, "cut.yaml", powerCut)
	p := inv.Match([]*scenario.Scenario{sag, cut})
	if len(p.Unrunnable) != 0 || len(p.Benches) != 2 || p.Benches[0].Bench.Name != "desk-relay" || p.Benches[0].Scenarios[0] != cut ||
		p.Benches[1].Scenarios[0] != sag {
		t.Fatalf("plan %+v unrunnable %v: want the cut on desk-relay, the sag on emu", p.Benches, p.Unrunnable)
	}
	inv.Benches = inv.Benches[:1]
	p = inv.Match([]*scenario.Scenario{sag})
	if len(p.Unrunnable) != 1 || !strings.Contains(p.Unrunnable[0].Error(), "sag.yaml:4:5: no bench can run \"sag\": fault sag needs voltage") {
		t.Errorf("relay bench alone: %+v", p.Unrunnable)
	}
}

// TestMatchDUTConfigOnADUTThatTakesIt: a scenario with a dut.config goes
// to a bench whose DUT takes a config, never to one with firmware that
// keeps its own; with no such bench it is reported before the run.
func TestMatchDUTConfigOnADUTThatTakesIt(t *testing.T) {
	d := t.TempDir()
	write(t, d, "desk.yaml", deskBench)
	inv, err := Load(write(t, d, "lab.yaml", "benches:\n  - name: desk\n    bench: desk.yaml\n    has: [chip]\n  - name: emu\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Get("desk").Caps; slices.Contains(got, "dut_config") {
		t.Errorf("desk caps %v: a DUT with no process config takes no dut.config", got)
	}
	if got := inv.Get("emu").Caps; !slices.Contains(got, "dut_config") {
		t.Errorf("emu caps %v, want dut_config among them", got)
	}
	timed := parse(t, "timed.yaml", "name: timed\ncard: visa-credit\ndut:\n  config:\n    timeouts: {host: 500ms}\nsteps:\n  - sale: 1.00\n  - insert: chip\nexpect: {outcome: HOST_TIMEOUT}\n")
	plain := parse(t, "plain.yaml", "name: plain\ncard: visa-credit\nsteps:\n  - sale: 1.00\n  - insert: chip\nexpect: {outcome: APPROVED}\n")
	p := inv.Match([]*scenario.Scenario{timed, plain})
	for _, a := range p.Benches {
		if a.Bench.Name == "desk" && slices.Contains(a.Scenarios, timed) {
			t.Fatalf("the timed scenario went to desk (firmware with its own timeouts): %+v", p.Benches)
		}
	}
	if len(p.Unrunnable) != 0 {
		t.Fatalf("unrunnable %v", p.Unrunnable)
	}
	inv.Benches = inv.Benches[:1]
	p = inv.Match([]*scenario.Scenario{timed})
	if len(p.Unrunnable) != 1 || !strings.Contains(p.Unrunnable[0].Error(), "timed.yaml:5:5: no bench can run \"timed\": dut.config needs dut_config") {
		t.Errorf("desk alone: %+v", p.Unrunnable)
	}
}
