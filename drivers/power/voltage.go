package power

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
	"periph.io/x/conn/v3/physic"
)

// Voltage is a physic.ElectricPotential as scenario and bench files write
// it: a number with a unit, "4.2V", "3300mV", "4.2v". A bare number ("4.2")
// or a unit in words ("4.2 volts") is rejected: a missing unit is how a
// 4.2V sag becomes 4.2mV. It parses with periph.io's own parser
// (physic.ElectricPotential.Set), so it accepts what periph.io accepts.
//
// *Voltage is a flag.Value too, for command lines.
type Voltage physic.ElectricPotential

// ParseVoltage parses s, e.g. "4.2V"; errors wrap ErrBadVoltage.
func ParseVoltage(s string) (Voltage, error) {
	var p physic.ElectricPotential
	if err := p.Set(s); err != nil {
		return 0, fmt.Errorf("%w %q: %v (want e.g. 4.2V or 3300mV)", ErrBadVoltage, s, err)
	}
	return Voltage(p), nil
}

// Set implements flag.Value.
func (v *Voltage) Set(s string) error {
	p, err := ParseVoltage(s)
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// String renders v exactly, in the largest unit that keeps the whole part
// non-zero: "4.2V", "3.3V", "850mV", "0V". Unlike physic's String, which
// rounds to three digits ("4.200V"), it parses back to the same value.
func (v Voltage) String() string {
	n := int64(v)
	sign := ""
	if n < 0 {
		sign = "-"
	}
	// Work in uint64 so the most negative value negates safely.
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	units := []struct {
		div  uint64
		name string
		digs int
	}{{1e9, "V", 9}, {1e6, "mV", 6}, {1e3, "uV", 3}, {1, "nV", 0}}
	for _, un := range units {
		if u < un.div && un.div > 1 && u != 0 {
			continue
		}
		whole, frac := u/un.div, u%un.div
		if frac == 0 {
			return fmt.Sprintf("%s%d%s", sign, whole, un.name)
		}
		f := strings.TrimRight(fmt.Sprintf("%0*d", un.digs, frac), "0")
		return fmt.Sprintf("%s%d.%s%s", sign, whole, f, un.name)
	}
	return "0V"
}

// Potential is v as a physic.ElectricPotential.
func (v Voltage) Potential() physic.ElectricPotential { return physic.ElectricPotential(v) }

// UnmarshalYAML decodes a scalar such as 4.2V. The error carries no
// position: yamldoc adds the node's line and column.
func (v *Voltage) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return fmt.Errorf("%w: want a voltage such as 4.2V or 3300mV", ErrBadVoltage)
	}
	return v.Set(n.Value)
}
