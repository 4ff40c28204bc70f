package scenario

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

// Mutant is a deliberate bug of the reference terminal that a scenario
// must catch, with what its FAIL must say: the scenario proves its own
// check only when it fails for that reason. Written
// `{name: host-decline-approved, reason: "expected outcome DECLINED"}`.
type Mutant struct {
	// Name is the mutant, as the reference terminal lists it
	// (refterm --list-mutants).
	Name string
	// Reason is a substring the FAIL reason must contain. A crash or a
	// boot failure counts as a kill only when Reason says so.
	Reason string
	// Line and Col are where the entry is written.
	Line, Col int
}

// UnmarshalYAML takes {name: x, reason: "..."}; both are required, so no
// mutant entry accepts just any FAIL.
func (m *Mutant) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return yamldoc.At(n, "mutant %q needs the reason its FAIL must give: {name: %s, reason: \"...\"}", n.Value, n.Value)
	}
	if n.Kind != yaml.MappingNode {
		return yamldoc.At(n, "want a mutant {name: x, reason: \"substring of the FAIL reason\"}")
	}
	*m = Mutant{Line: n.Line, Col: n.Column}
	var errs yamldoc.Errors
	add := func(at *yaml.Node, format string, args ...any) {
		errs = append(errs, yamldoc.At(at, format, args...).(*yamldoc.Error))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			add(k, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		var dst *string
		switch k.Value {
		case "name":
			dst = &m.Name
		case "reason":
			dst = &m.Reason
		default:
			add(k, "unknown key %q in a mutant (want name and reason)", k.Value)
			continue
		}
		if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
			add(v, "mutant %s: want a non-empty string", k.Value)
			continue
		}
		*dst = v.Value
	}
	if m.Name == "" && !seen["name"] {
		add(n, "mutant needs a name")
	}
	if m.Reason == "" && !seen["reason"] {
		add(n, "mutant %s needs the reason its FAIL must give (a substring of the FAIL reason)", m.Name)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Names lists the mutants' names, in order.
func Names(ms []Mutant) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// CheckMutants checks the scenario's mutant names against known (the
// reference terminal's list): an unknown name is INVALID (yamldoc.ErrInvalid)
// at the entry's file:line:col, since a typo would otherwise pass as a kill
// (the terminal exits at once). It is separate from Load because only a
// run against the reference terminal has a list to check against.
func (s *Scenario) CheckMutants(known []string) error {
	set := make(map[string]bool, len(known))
	for _, k := range known {
		set[k] = true
	}
	var errs []error
	for _, m := range s.Mutants {
		if !set[m.Name] {
			errs = append(errs, &yamldoc.Error{Pos: yamldoc.Pos{File: s.File, Line: m.Line, Col: m.Col},
				Msg: fmt.Sprintf("unknown mutant %q (the reference terminal knows: %s)", m.Name, strings.Join(known, ", "))})
		}
	}
	return errors.Join(errs...)
}

// checkMutants refuses the same mutant twice in one list.
func checkMutants(ms []Mutant, add func(line, col int, format string, args ...any)) {
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.Name] {
			add(m.Line, m.Col, "mutant %s is listed twice", m.Name)
		}
		seen[m.Name] = true
	}
}
