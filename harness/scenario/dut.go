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
	// so that waiting for one costs what the timeout costs, and times its
	// faults and waits against those timeouts. Such a scenario needs a
	// bench whose DUT takes a config (capability dut_config): on firmware
	// that keeps its own timeouts its verdict would mean nothing.
	Config map[string]any `yaml:"config"`

	// At is where config is written.
	At yamldoc.Pos `yaml:"-"`
}

// Check requires a config that changes something.
func (d *DUT) Check(n *yaml.Node) error {
	v := yamldoc.FindOr(n, "config")
	if v != nil {
		d.At = yamldoc.Pos{Line: v.Line, Col: v.Column}
	}
	if len(d.Config) == 0 {
		return yamldoc.At(v, "dut needs config: the keys of the bench's dut.process.config it changes")
	}
	return nil
}
