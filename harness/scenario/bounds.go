package scenario

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// MaxAmount is the largest amount a sale may ask for, in minor units:
// twelve digits, the width of the amount a terminal carries to the card
// and the host (EMV Amount, Authorised, tag 9F02, n 12; ISO 8583 field 4,
// n 12). A larger amount can never be authorised as written.
const MaxAmount Amount = 999_999_999_999

// MaxTriesLeft is the largest PIN try count a terminal can report: the
// card gives it in the low nibble of status word 63Cx after a wrong PIN.
const MaxTriesLeft = 15

// positive refuses a duration written as zero or less (leaving the key out
// takes the default instead). v is nil when the key is absent.
func positive(v *yaml.Node, name string, d time.Duration) error {
	if v != nil && d <= 0 {
		return yamldoc.At(v, "%s %v: want a duration above zero (leave %s out for the default)", name, d, name)
	}
	return nil
}

// triesLeft bounds an expected PIN try count (0 to MaxTriesLeft).
func triesLeft(v *yaml.Node, n *int) error {
	if v != nil && n != nil && (*n < 0 || *n > MaxTriesLeft) {
		return yamldoc.At(v, "tries_left %d: a terminal reports 0 to %d (the card's status word 63Cx)", *n, MaxTriesLeft)
	}
	return nil
}

// notNegative refuses a count below zero.
func notNegative(v *yaml.Node, name string, n *int) error {
	if v != nil && n != nil && *n < 0 {
		return yamldoc.At(v, "%s %d: a count cannot be below zero", name, *n)
	}
	return nil
}

// join collects the errors of several checks, nil when all passed.
func join(errs ...error) error {
	var out yamldoc.Errors
	for _, err := range errs {
		switch e := err.(type) {
		case nil:
		case *yamldoc.Error:
			out = append(out, e)
		case yamldoc.Errors:
			out = append(out, e...)
		default:
			out = append(out, &yamldoc.Error{Msg: err.Error()})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkExpect bounds the values of a scenario's expect block at n.
func checkExpect(e *Expect, n *yaml.Node) error {
	var fieldErrs []error
	for k := range e.Fields {
		if k == "" {
			fieldErrs = append(fieldErrs, yamldoc.At(yamldoc.FindOr(n, "fields"), "fields: a RESULT field needs a name"))
		}
	}
	return join(append([]error{
		positive(yamldoc.Find(n, "within"), "within", e.Within),
		triesLeft(yamldoc.Find(n, "tries_left"), e.TriesLeft),
		notNegative(yamldoc.Find(n, "max_retransmits"), "max_retransmits", e.MaxRetransmits),
	}, fieldErrs...)...)
}

// delayer is implemented by fault configs that hold or delay the bench:
// MaxDelay is the longest they can. The fault package declares the same
// method; scenario looks it up on its own so a fault config from any
// package is judged alike.
type delayer interface {
	MaxDelay() time.Duration
}

// maxDelayOf is the longest spec's fault can hold or delay the bench, 0
// if it does not delay: the spec's own MaxDelay when it has one (it knows
// how long a fault that holds until cleared is set to last), else its
// fault config's.
func maxDelayOf(spec *fault.Spec) time.Duration {
	if d, ok := any(spec).(delayer); ok {
		return d.MaxDelay()
	}
	if d, ok := spec.Fault.(delayer); ok {
		return d.MaxDelay()
	}
	return 0
}

// checkTiming refuses what the scenario's timeout makes impossible: waits
// that add up to the timeout, a within longer than it, a fault that delays
// the bench for as long, or fires only after it. n is the scenario's node.
func (s *Scenario) checkTiming(n *yaml.Node) error {
	var errs []error
	at := func(v *yaml.Node, format string, args ...any) {
		errs = append(errs, yamldoc.At(v, format, args...))
	}
	limit := s.Timeout
	steps := yamldoc.Find(n, "steps")
	checkSpec := func(spec *fault.Spec, node *yaml.Node) {
		if d := maxDelayOf(spec); d >= limit {
			at(yamldoc.FindOr(node, spec.Name), "fault %s delays the bench by up to %v, at least the scenario's timeout %v: the scenario would time out under it", spec.Name, d, limit)
		}
		if spec.When.After >= limit {
			at(yamldoc.FindOr(node, "when", "after"), "fault %s fires after %v, at or past the scenario's timeout %v: it would never fire", spec.Name, spec.When.After, limit)
		}
	}
	for i := range s.Faults {
		checkSpec(&s.Faults[i], yamldoc.Item(yamldoc.Find(n, "faults"), i))
	}
	var waited time.Duration
	for i, st := range s.Steps {
		node := yamldoc.Item(steps, i)
		within := func(action string, d time.Duration) {
			if d > limit {
				at(yamldoc.FindOr(node, action, "within"), "%s within %v is longer than the scenario's timeout %v", action, d, limit)
			}
		}
		switch {
		case st.Wait != nil:
			waited += *st.Wait
			if waited >= limit && waited-*st.Wait < limit {
				what := fmt.Sprintf("wait %v", *st.Wait)
				if waited != *st.Wait {
					what = fmt.Sprintf("waits add up to %v here; that", waited)
				}
				at(yamldoc.FindOr(node, "wait"), "%s is at least the scenario's timeout %v: the scenario would time out while waiting", what, limit)
			}
		case st.Display != nil:
			within("display", st.Display.Within)
		case st.Expect != nil:
			within("expect", st.Expect.Within)
		case st.Last != nil:
			within("last", st.Last.Within)
		case st.Inject != nil:
			checkSpec(st.Inject, yamldoc.FindOr(node, "inject"))
		}
	}
	if s.Expect.Within > limit {
		at(yamldoc.FindOr(n, "expect", "within"), "expect.within %v is longer than the scenario's timeout %v", s.Expect.Within, limit)
	}
	if h := s.Expect.Host; h != nil && h.Within > limit {
		at(yamldoc.FindOr(n, "expect", "host", "within"), "expect.host.within %v is longer than the scenario's timeout %v", h.Within, limit)
	}
	return join(errs...)
}
