package fault

import (
	"gopkg.in/yaml.v3"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
)

// Bounds of values a fault may be given; a value outside them can never
// make a scenario pass, so the scenario is INVALID at that value.
const (
	// maxSupplyVoltage bounds every voltage a power fault sets or
	// restores: what a payment terminal's supply can be (safety extra-low
	// voltage, 60 V DC).
	maxSupplyVoltage = power.Voltage(60 * physic.Volt)
)

// child is the value node of key in mapping n, or n itself when key is
// absent (so an error about a missing key points at the mapping).
func child(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return n
}

// given reports whether mapping n states key.
func given(n *yaml.Node, key string) bool {
	return n != nil && child(n, key) != n
}

// index is the ith item of sequence n, or n.
func index(n *yaml.Node, i int) *yaml.Node {
	if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i]
	}
	return n
}
