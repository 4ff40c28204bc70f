package scenario

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Capabilities a bench of an inventory can have and a scenario can need.
const (
	CapChip      = "chip"       // a card slot (an emulated card or a real reader)
	CapMagstripe = "magstripe"  // a magstripe reader the harness can swipe
	CapPower     = "power"      // power control: a supply or relay the harness drives
	CapLineRelay = "line_relay" // the ECR line through a fault proxy or relay (cut, noise, delay)
	CapPrinter   = "printer"    // a receipt printer the harness can watch
	CapVoltage   = "voltage"    // a supply that sets its voltage (sag, brownout): not a relay, which only switches
	CapDUTConfig = "dut_config" // a DUT started with a config the harness writes (a scenario's dut.config)
)

// Capabilities lists every capability name, in a fixed order.
var Capabilities = []string{CapChip, CapMagstripe, CapPower, CapLineRelay, CapPrinter, CapVoltage, CapDUTConfig}

// Needs is what a scenario asks of a bench beyond what its steps and
// faults imply (Implied): capabilities, a firmware version, bench labels.
type Needs struct {
	// Has lists capabilities (see Capabilities).
	Has []string `yaml:"has"`
	// Firmware, when set, is a version the bench's firmware must start
	// with: "2.1" matches 2.1 and 2.1.4, not 2.10.
	Firmware string `yaml:"firmware"`
	// Labels must all be labels of the bench (e.g. a lab, a terminal model).
	Labels []string `yaml:"labels"`

	// At is where each need is written, for the report of a scenario no
	// bench can run: capability and label by name, firmware as "firmware".
	At map[string]yamldoc.Pos `yaml:"-"`
}

// Check refuses unknown capabilities and records each need's position.
func (nd *Needs) Check(n *yaml.Node) error {
	var errs []error
	nd.At = map[string]yamldoc.Pos{}
	place := func(key string, v *yaml.Node) {
		if v != nil {
			nd.At[key] = yamldoc.Pos{Line: v.Line, Col: v.Column}
		}
	}
	has := yamldoc.Find(n, "has")
	for i, c := range nd.Has {
		it := yamldoc.Item(has, i)
		if !slices.Contains(Capabilities, c) {
			errs = append(errs, yamldoc.At(it, "needs.has %q: not a capability (want one of %s)", c, strings.Join(Capabilities, ", ")))
			continue
		}
		place(c, it)
	}
	if v := yamldoc.Find(n, "firmware"); v != nil {
		if strings.TrimSpace(nd.Firmware) == "" {
			errs = append(errs, yamldoc.At(v, "needs.firmware is empty (leave it out to accept any firmware)"))
		}
		place("firmware", v)
	}
	labels := yamldoc.Find(n, "labels")
	for i, l := range nd.Labels {
		place("label "+l, yamldoc.Item(labels, i))
	}
	return join(errs...)
}

// Need is one capability a scenario needs and where it says so.
type Need struct {
	Cap string
	At  yamldoc.Pos
	Why string // "needs.has", "fault power_cut", "step insert", ...
}

// PartCap is the capability a bench part gives: a fault that needs the
// part needs the capability. Parts every bench of an inventory has (the
// DUT, its host path) give "".
func PartCap(p fault.Part) string {
	switch p {
	case fault.PartCard:
		return CapChip
	case fault.PartMSR:
		return CapMagstripe
	case fault.PartSupply:
		return CapPower
	case fault.PartLine:
		return CapLineRelay
	case fault.PartVoltage:
		return CapVoltage
	case fault.PartDUTConfig:
		return CapDUTConfig
	}
	return ""
}

// Required is every capability the scenario needs: those it declares
// (needs.has) and those its faults, steps and dut.config imply (an insert
// needs a chip slot, a swipe a magstripe reader, a power fault power
// control, a line fault the line relay, a dut.config a DUT that takes
// it), each once, at its first place.
func (s *Scenario) Required() []Need {
	var out []Need
	add := func(c string, line, col int, why string) {
		if c == "" || slices.ContainsFunc(out, func(n Need) bool { return n.Cap == c }) {
			return
		}
		out = append(out, Need{Cap: c, At: yamldoc.Pos{File: s.File, Line: line, Col: col}, Why: why})
	}
	if s.Needs != nil {
		for _, c := range s.Needs.Has {
			p := s.Needs.At[c]
			add(c, p.Line, p.Col, "needs.has")
		}
	}
	spec := func(sp *fault.Spec) {
		for _, p := range fault.NeedsOf(sp.Fault) {
			add(PartCap(p), sp.Line, sp.Col, "fault "+sp.Name)
		}
	}
	for i := range s.Faults {
		spec(&s.Faults[i])
	}
	for _, st := range s.Steps {
		switch {
		case st.Inject != nil:
			spec(st.Inject)
		case st.Insert != nil:
			add(CapChip, st.Line, st.Col, "step insert")
		case st.Swipe != nil:
			add(CapMagstripe, st.Line, st.Col, "step swipe")
		}
	}
	if s.DUT != nil && len(s.DUT.Config) > 0 {
		add(CapDUTConfig, s.DUT.At.Line, s.DUT.At.Col, "dut.config")
	}
	return out
}
