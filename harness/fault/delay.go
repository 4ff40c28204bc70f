package fault

import "time"

// Delayer is implemented by faults that hold or delay the bench: a
// message, a byte, a card's answer. MaxDelay is the longest one such
// delay can last, from the fault's settings alone (a line_delay's delay,
// a slow_card's delay, a brownout's walk). The scenario checker refuses a
// fault that outlasts the scenario's timeout: such a scenario can never
// pass.
type Delayer interface {
	MaxDelay() time.Duration
}

// holder is implemented by faults that hold everything back until they
// end (net_stall holds data, power_cut holds the DUT off): their longest
// hold is their spec's for:.
type holder interface {
	holdsUntilCleared()
}

// MaxDelayOf is f's MaxDelay, or 0 for a fault that delays nothing.
func MaxDelayOf(f Fault) time.Duration {
	if d, ok := f.(Delayer); ok {
		return d.MaxDelay()
	}
	return 0
}

// MaxDelay is the longest the spec's fault can hold or delay the bench:
// MaxDelayOf its fault, and for a fault that holds until it ends
// (net_stall, power_cut) its for: when given (without for: it holds until
// the scenario's end or a clear step, which it cannot outlast).
func (s *Spec) MaxDelay() time.Duration {
	d := MaxDelayOf(s.Fault)
	if _, ok := s.Fault.(holder); ok && s.For > d {
		d = s.For
	}
	return d
}
