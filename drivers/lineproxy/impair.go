package lineproxy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Direction is a way bytes go on the line; the values combine as a set.
type Direction uint8

// Directions.
const (
	ToDUT   Direction = 1 << iota // from the harness to the DUT
	FromDUT                       // from the DUT to the harness
	Both    = ToDUT | FromDUT
)

// index is the slot of a single direction in per-direction arrays.
func (d Direction) index() int {
	if d == FromDUT {
		return 1
	}
	return 0
}

// String returns the YAML spelling: to_dut, from_dut or both.
func (d Direction) String() string {
	switch d {
	case ToDUT:
		return "to_dut"
	case FromDUT:
		return "from_dut"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// ParseDirection reads to_dut, from_dut or both ("" means both).
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "", "both":
		return Both, nil
	case "to_dut":
		return ToDUT, nil
	case "from_dut":
		return FromDUT, nil
	}
	return 0, fmt.Errorf("%w: direction %q: want to_dut, from_dut or both", ErrConfig, s)
}

// Impairer is what line faults need from a line proxy; *Proxy implements
// it. Faults reach it as the bench part fault.PartLine, and a test can
// hand them a fake.
type Impairer interface {
	Cut() (restore func())
	BitErrors(d Direction, rate float64, seed int64) (restore func(), err error)
	Delay(d time.Duration) (restore func(), err error)
	Flush()
}

var _ Impairer = (*Proxy)(nil)

// layer is one impairment in force; the most recent layer setting a knob
// decides it, except cuts, which add up.
type layer struct {
	cut    bool
	bitDir Direction
	rate   float64
	rng    [2]*rand.Rand
	delay  time.Duration
}

// state is what the impairments in force do to one direction's bytes.
type state struct {
	cut   bool
	rate  float64
	rng   *rand.Rand
	delay time.Duration
}

// stateFor computes d's state. p.mu must be held.
func (p *Proxy) stateFor(d Direction) state {
	var st state
	bitsSet, delaySet := false, false
	for i := len(p.layers) - 1; i >= 0; i-- {
		l := p.layers[i]
		st.cut = st.cut || l.cut
		if !bitsSet && l.bitDir&d != 0 {
			st.rate, st.rng, bitsSet = l.rate, l.rng[d.index()], true
		}
		if !delaySet && l.delay > 0 {
			st.delay, delaySet = l.delay, true
		}
	}
	return st
}

// add puts l in force; the returned func takes exactly l out, once.
func (p *Proxy) add(l *layer) (restore func()) {
	p.mu.Lock()
	p.layers = append(p.layers, l)
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.layers = slices.DeleteFunc(p.layers, func(x *layer) bool { return x == l })
			p.mu.Unlock()
		})
	}
}

// Cut drops every byte both ways, as a pulled cable, until restore is
// called. Cuts nest: the line is whole again when every cut is restored.
// restore is idempotent.
func (p *Proxy) Cut() (restore func()) {
	return p.add(&layer{cut: true})
}

// BitErrors flips each bit going in direction(s) d independently with
// probability rate (a bit error rate: 1 flips every bit), until restore is
// called. The flips come from math/rand/v2's PCG seeded with seed and the
// direction, so the same seed over the same bytes flips the same bits.
// Bit errors do not add up: the most recent call decides each direction.
// restore is idempotent.
func (p *Proxy) BitErrors(d Direction, rate float64, seed int64) (restore func(), err error) {
	if !(rate >= 0 && rate <= 1) {
		return nil, fmt.Errorf("%w: bit error rate %v not in 0..1", ErrConfig, rate)
	}
	if d&Both == 0 || d&^Both != 0 {
		return nil, fmt.Errorf("%w: bit errors: %v", ErrConfig, d)
	}
	l := &layer{bitDir: d, rate: rate}
	for _, one := range []Direction{ToDUT, FromDUT} {
		l.rng[one.index()] = rand.New(rand.NewPCG(uint64(seed), uint64(one)))
	}
	return p.add(l), nil
}

// Delay holds every byte, both ways, for d before it passes, as a slow
// converter or a long radio hop would; the bytes keep their order and
// the line its throughput. The most recent delay in force decides.
// restore is idempotent; bytes already held keep their delay.
func (p *Proxy) Delay(d time.Duration) (restore func(), err error) {
	if d <= 0 {
		return nil, fmt.Errorf("%w: delay %v must be positive", ErrConfig, d)
	}
	return p.add(&layer{delay: d}), nil
}

// flip flips each bit of b with probability rate and returns how many
// bits it flipped.
func flip(b []byte, rate float64, rng *rand.Rand) int {
	if rate <= 0 {
		return 0
	}
	n := 0
	for i := range b {
		for bit := range 8 {
			if rng.Float64() < rate {
				b[i] ^= 1 << bit
				n++
			}
		}
	}
	return n
}

// trigger is a byte-count hook: fn runs once when total reaches at.
type trigger struct {
	at int
	fn func()
}

// SetTrigger arranges for fn to run once when n more bytes, both
// directions together, have gone through the proxy from now (bytes read
// from either sender, those dropped by a cut included). fn runs
// synchronously in the copy path after the nth byte is passed and before
// the next byte is looked at, so a fault fn injects acts on byte n+1
// onward: the proxy splits a chunk at the threshold. Both directions
// wait while fn runs (that keeps the count exact), so fn must not wait
// for traffic on the line, nor call Close. n < 1 counts as 1. remove
// cancels the trigger if it has not fired; it is idempotent.
func (p *Proxy) SetTrigger(n int, fn func()) (remove func()) {
	p.mu.Lock()
	t := &trigger{at: p.total + max(n, 1), fn: fn}
	p.triggers = append(p.triggers, t)
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.triggers = slices.DeleteFunc(p.triggers, func(x *trigger) bool { return x == t })
		p.mu.Unlock()
	}
}

// Total is the number of bytes, both directions, that went through the
// proxy since Start (the count SetTrigger uses).
func (p *Proxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// pass runs one segment through the hooks and impairments of direction d
// and hands what survives to emit. It returns false when emit gave up.
func (p *Proxy) pass(d Direction, s segment, emit func([]byte, time.Duration) bool) bool {
	if s.msg != nil {
		// Outside byteMu: the frame waits for fn, the other direction
		// does not.
		p.mu.Lock()
		fn := p.onFrame
		p.mu.Unlock()
		if fn != nil {
			f := Frame{Dir: d, Msg: *s.msg}
			p.callHook("OnFrame "+string(f.Msg.Kind), func() { fn(f) })
		}
	}
	p.byteMu.Lock()
	defer p.byteMu.Unlock()
	b := s.raw
	for len(b) > 0 {
		p.mu.Lock()
		k := len(b)
		for _, t := range p.triggers {
			k = min(k, t.at-p.total)
		}
		k = max(k, 1)
		seg := b[:k]
		b = b[k:]
		p.total += k
		st := p.stateFor(d)
		c := &p.counters[d.index()]
		var out []byte
		if st.cut {
			c.Cut += k
		} else {
			out = append([]byte(nil), seg...)
			if st.rng != nil {
				c.Flipped += flip(out, st.rate, st.rng)
			}
		}
		var due []func()
		p.triggers = slices.DeleteFunc(p.triggers, func(t *trigger) bool {
			if t.at <= p.total {
				due = append(due, t.fn)
				return true
			}
			return false
		})
		p.mu.Unlock()
		if out != nil && !emit(out, st.delay) {
			return false
		}
		for _, fn := range due {
			p.callHook("byte trigger", fn)
		}
	}
	return true
}
