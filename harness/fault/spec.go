package fault

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

// Spec is one fault as a scenario states it: which fault with which
// settings, when it fires and how long it lasts. In YAML:
//
//   - status_word: {command: GENERATE_AC, sw: "6985"}
//     when: {apdu: {command: GPO}}
//     for: 2s
//
// The fault's own key names it (see Names); when and for are optional: no
// when = at once, no for = until the scenario ends or a clear step.
type Spec struct {
	Name  string
	Fault Fault
	When  Trigger
	For   time.Duration
	// ID names the fault for a clear step; default Name.
	ID string
	// MustFire makes a scenario whose fault never fired (the terminal
	// never sent what its trigger waits for) FAIL: what it claims to
	// test never happened.
	MustFire bool

	Line, Col int
}

// UnmarshalYAML decodes a spec: one registered fault key plus optional
// when, for and id, with the fault's fields checked strictly.
func (s *Spec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return yamldoc.At(n, "a fault is a mapping: {<fault name>: {...settings}, when: ..., for: ...}")
	}
	s.Line, s.Col = n.Line, n.Column
	var errs yamldoc.Errors
	add := func(err error) {
		if es, ok := err.(yamldoc.Errors); ok {
			errs = append(errs, es...)
		} else if e, ok := err.(*yamldoc.Error); ok {
			errs = append(errs, e)
		} else if err != nil {
			errs = append(errs, yamldoc.At(n, "%v", err).(*yamldoc.Error))
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "when":
			add(yamldoc.DecodeNode(v, &s.When))
		case "for":
			if err := yamldoc.DecodeNode(v, &s.For); err != nil {
				add(err)
			} else if s.For <= 0 {
				add(yamldoc.At(v, "for %v: want a time above 0 (leave for out: until the scenario ends or a clear step)", s.For))
			}
		case "must_fire":
			if err := yamldoc.DecodeNode(v, &s.MustFire); err != nil {
				add(err)
			} else if s.MustFire && yamldoc.Find(n, "when") == nil {
				add(yamldoc.At(v, "must_fire: a fault without when fires at once; give a trigger"))
			}
		case "id":
			if err := yamldoc.DecodeNode(v, &s.ID); err != nil {
				add(err)
			} else if strings.TrimSpace(s.ID) == "" {
				add(yamldoc.At(v, "id: want a name for clear steps"))
			}
		default:
			if s.Fault != nil {
				add(yamldoc.At(k, "one fault per entry: %q and %q", s.Name, k.Value))
				continue
			}
			f, err := New(k.Value)
			if err != nil {
				add(yamldoc.At(k, "%v", err))
				continue
			}
			s.Name, s.Fault = k.Value, f
			if !(v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")) {
				add(yamldoc.DecodeNode(v, f))
			}
		}
	}
	if s.Fault == nil && len(errs) == 0 {
		add(yamldoc.At(n, "no fault named (known: %s)", strings.Join(Names(), ", ")))
	}
	if s.ID == "" {
		s.ID = s.Name
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// String names the fault for timelines.
func (s *Spec) String() string {
	out := s.Name
	if w := s.When.String(); w != "" {
		out += " " + w
	}
	if s.For > 0 {
		out += fmt.Sprintf(" for %v", s.For)
	}
	return out
}
