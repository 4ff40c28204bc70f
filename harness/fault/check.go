package fault

import (
	"gopkg.in/yaml.v3"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Bounds of values a fault may be given; a value outside them can never
// make a scenario pass, so the scenario is INVALID at that value.
const (
	// maxSupplyVoltage bounds every voltage a power fault sets or
	// restores: what a payment terminal's supply can be (safety extra-low
	// voltage, 60 V DC).
	maxSupplyVoltage = power.Voltage(60 * physic.Volt)
)

// given reports whether mapping n states key.
func given(n *yaml.Node, key string) bool {
	return yamldoc.Find(n, key) != nil
}

// index is the ith item of sequence n, or n.
func index(n *yaml.Node, i int) *yaml.Node {
	if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i]
	}
	return n
}
