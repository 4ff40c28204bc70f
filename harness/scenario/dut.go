package scenario

import (
	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

// DUT is what a scenario changes in the bench's DUT for its own run.
type DUT struct {
	// Config is merged over the bench's dut.process.config for this
	// scenario: a mapping merges key by key (timeouts: {host: 1s} keeps
	// the bench's other timeouts), any other value replaces the bench's.
	// It is for the reference terminal, whose timeouts a scenario shortens
	// so that waiting for one costs what the timeout costs. A bench whose
	// DUT has no process config (real firmware) ignores it: that firmware
	// keeps its own timeouts, and the transcript says so.
	Config map[string]any `yaml:"config"`
}

// Check requires a config that changes something.
func (d *DUT) Check(n *yaml.Node) error {
	if len(d.Config) == 0 {
		return yamldoc.At(yamldoc.FindOr(n, "config"), "dut needs config: the keys of the bench's dut.process.config it changes")
	}
	return nil
}
