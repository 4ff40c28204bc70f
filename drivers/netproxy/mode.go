package netproxy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Direction is a way bytes go through the proxy; the values combine as a
// set.
type Direction uint8

// Directions.
const (
	ToHost     Direction = 1 << iota // from the terminal to the host
	ToTerminal                       // from the host to the terminal
	Both       = ToHost | ToTerminal
)

// String returns the YAML spelling: to_host, to_terminal or both.
func (d Direction) String() string {
	switch d {
	case ToHost:
		return "to_host"
	case ToTerminal:
		return "to_terminal"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// ParseDirection reads to_host, to_terminal or both ("" means both).
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "", "both":
		return Both, nil
	case "to_host":
		return ToHost, nil
	case "to_terminal":
		return ToTerminal, nil
	}
	return 0, fmt.Errorf("%w: direction %q: want to_host, to_terminal or both", ErrConfig, s)
}

// Impairer is what network faults need from a network proxy; *Proxy
// implements it. Faults reach it as the bench part fault.PartNetwork, and
// a test can hand them a fake.
type Impairer interface {
	Refuse() (restore func() error)
	Drop() (restore func())
	Delay(d time.Duration) (restore func(), err error)
	Stall() (restore func())
	CutMidMessage(dir Direction, seed int64) (restore func(), err error)
	Discard() int
}

var _ Impairer = (*Proxy)(nil)

type layerKind int8

const (
	kDrop layerKind = iota + 1
	kStall
	kDelay
	kCut
	kShape
)

// layer is one data fault in force. For drop and stall the most recent
// layer decides; the most recent delay applies on top.
type layer struct {
	kind  layerKind
	delay time.Duration
	dir   Direction  // kCut
	rng   *rand.Rand // kCut
	spent bool       // kCut: it has cut its message
	shape *shaping   // kShape
}

// add puts l in force and wakes stalled connections; the returned func
// takes exactly l out, once.
func (p *Proxy) add(l *layer) (restore func()) {
	p.mu.Lock()
	p.layers = append(p.layers, l)
	p.wake()
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.layers = slices.DeleteFunc(p.layers, func(x *layer) bool { return x == l })
			p.wake()
			p.mu.Unlock()
		})
	}
}

// wake tells waiting connections the faults changed. p.mu must be held.
func (p *Proxy) wake() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Drop accepts connections and reads what either side sends but passes
// nothing on: the data vanishes, as into a black hole. restore is
// idempotent; data read meanwhile stays lost.
func (p *Proxy) Drop() (restore func()) { return p.add(&layer{kind: kDrop}) }

// Stall stops passing data both ways but keeps every connection open and
// the data waiting (in the proxy and the kernel's buffers), as a hung
// middlebox; restore lets the waiting data through. Stall and Drop in
// force together: the most recent decides. restore is idempotent.
func (p *Proxy) Stall() (restore func()) { return p.add(&layer{kind: kStall}) }

// Delay holds each chunk of data, both ways, for d before passing it.
// The most recent delay in force decides. restore is idempotent.
func (p *Proxy) Delay(d time.Duration) (restore func(), err error) {
	if d <= 0 {
		return nil, fmt.Errorf("%w: delay %v must be positive", ErrConfig, d)
	}
	return p.add(&layer{kind: kDelay, delay: d}), nil
}

// CutMidMessage cuts the connection that carries the next message going
// in dir: it passes a number of the message's bytes (length prefix
// included) drawn from math/rand/v2's PCG seeded with seed, at least 1
// and fewer than all, then closes both sides. It acts once; restore takes
// it out if it has not acted yet and is idempotent.
func (p *Proxy) CutMidMessage(dir Direction, seed int64) (restore func(), err error) {
	if dir&Both == 0 || dir&^Both != 0 {
		return nil, fmt.Errorf("%w: cut: %v", ErrConfig, dir)
	}
	return p.add(&layer{kind: kCut, dir: dir, rng: rand.New(rand.NewPCG(uint64(seed), 0))}), nil
}

// ResetAll resets every open connection at once (RST to both sides) and
// returns how many it reset. It is an action, not a mode: new connections
// pass as before.
func (p *Proxy) ResetAll() int {
	return p.closeAll(&p.stats.Reset, true)
}

// Discard closes every open connection at once (FIN to both sides),
// discarding what the proxy holds for them (data waiting out a stall or
// a delay) and what either side sent that the proxy has not yet read:
// after Discard returns, none of it reaches the other side. It returns
// how many connections it closed (Stats.Discarded). Call it before
// taking a stall or a delay out, to end the fault without delivering
// what it held (the terminal sees its connection closed). Like ResetAll
// it is an action: new connections pass as the faults in force allow.
func (p *Proxy) Discard() int {
	return p.closeAll(&p.stats.Discarded, false)
}

// closeAll closes every open connection (with RST when reset), counts
// them in *count (a field of p.stats, under p.mu) and returns how many.
func (p *Proxy) closeAll(count *int, reset bool) int {
	p.mu.Lock()
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	*count += len(conns)
	p.mu.Unlock()
	for _, c := range conns {
		c.close(reset)
	}
	return len(conns)
}

// action is what the faults in force do to a chunk of data.
type action struct {
	drop, stall bool
	delay       time.Duration
	changed     <-chan struct{} // closed when the faults change
}

func (p *Proxy) actionFor() action {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := action{changed: p.changed}
	decided := false
	for i := len(p.layers) - 1; i >= 0; i-- {
		l := p.layers[i]
		switch {
		case !decided && l.kind == kDrop:
			a.drop, decided = true, true
		case !decided && l.kind == kStall:
			a.stall, decided = true, true
		case a.delay == 0 && l.kind == kDelay:
			a.delay = l.delay
		}
	}
	return a
}

// shapeFor is the most recent shape in force, or nil.
func (p *Proxy) shapeFor() *layer {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.layers) - 1; i >= 0; i-- {
		if p.layers[i].kind == kShape {
			return p.layers[i]
		}
	}
	return nil
}

// claimCut gives the next message going in d, of length bytes, to the
// most recent cut in force for d, if any: it returns how many of the
// message's bytes (prefix included) pass before the cut.
func (p *Proxy) claimCut(d Direction, length int) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.layers) - 1; i >= 0; i-- {
		l := p.layers[i]
		if l.kind != kCut || l.spent || l.dir&d == 0 {
			continue
		}
		l.spent = true
		total := 2 + length
		return 1 + l.rng.IntN(total-1), true
	}
	return 0, false
}
