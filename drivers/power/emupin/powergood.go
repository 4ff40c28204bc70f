package emupin

import (
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/emulated"
)

// PowerGoodOpts configures a PowerGood pin; the zero value is usable.
type PowerGoodOpts struct {
	// Name is the pin's name; default "SUPPLY_PG".
	Name string
	// Threshold is the lowest rail voltage that reads High; default 0:
	// High whenever the rail is above 0V (output on, set point > 0).
	Threshold physic.ElectricPotential
}

// PowerGood is a gpio.PinIn on the emulated supply: High while the rail is
// at or above the threshold, Low when it is below, when the output is off,
// or when the state file cannot be read (no supply, no power good).
//
// Edges (In with RisingEdge, FallingEdge or BothEdges, then WaitForEdge)
// come from inotify on the state file's directory: WaitForEdge wakes when
// the supply publishes a change and reports an edge if the level moved
// the right way since In or the previous WaitForEdge. As with a real GPIO
// driver, edges coalesce: a pulse shorter than the reader takes to look
// (off and on again between two reads) can be missed.
type PowerGood struct {
	name, path string
	threshold  physic.ElectricPotential

	waitMu sync.Mutex // held by WaitForEdge and Close

	mu     sync.Mutex // guards the fields below
	pull   gpio.Pull
	edge   gpio.Edge
	last   gpio.Level
	w      *watcher // set by the first In with an edge, kept until Close
	closed bool
}

var (
	_ gpio.PinIO  = (*PowerGood)(nil)
	_ pin.PinFunc = (*PowerGood)(nil)
)

// NewPowerGood opens the power-good line on the state file at path. It
// reads the file once, so a DUT started without a supply fails here. Close
// it to release its inotify descriptors.
func NewPowerGood(path string, o *PowerGoodOpts) (*PowerGood, error) {
	var opt PowerGoodOpts
	if o != nil {
		opt = *o
	}
	if opt.Name == "" {
		opt.Name = "SUPPLY_PG"
	}
	if opt.Threshold < 0 {
		return nil, fmt.Errorf("emupin: %s: threshold %v: %w", opt.Name, opt.Threshold, power.ErrRange)
	}
	p := &PowerGood{name: opt.Name, path: path, threshold: opt.Threshold}
	if _, err := p.Level(); err != nil {
		return nil, err
	}
	return p, nil
}

// Level reads the line now, with the reason when the file cannot be read
// (Read then returns Low). Errors wrap emulated.ErrState.
func (p *PowerGood) Level() (gpio.Level, error) {
	st, err := emulated.ReadState(p.path)
	if err != nil {
		return gpio.Low, fmt.Errorf("emupin: %s: %w", p.name, err)
	}
	r := st.Rail()
	return gpio.Level(r > 0 && r >= p.threshold), nil
}

// Read implements gpio.PinIn.
func (p *PowerGood) Read() gpio.Level {
	l, _ := p.Level()
	return l
}

// In implements gpio.PinIn. The pull is recorded and has no effect (the
// supply drives the line). An edge other than NoEdge starts watching the
// state file; In flushes edges seen so far and ends a WaitForEdge in
// progress, which returns false.
func (p *PowerGood) In(pull gpio.Pull, edge gpio.Edge) error {
	if edge < gpio.NoEdge || edge > gpio.BothEdges {
		return fmt.Errorf("emupin: %s: bad edge %v", p.name, edge)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("emupin: %s: closed", p.name)
	}
	if edge != gpio.NoEdge && p.w == nil {
		w, err := newWatcher(p.path)
		if err != nil {
			return fmt.Errorf("emupin: %s: %w", p.name, err)
		}
		p.w = w
	}
	if pull != gpio.PullNoChange {
		p.pull = pull
	}
	p.edge = edge
	if p.w != nil {
		if _, err := p.w.drain(); err != nil {
			return fmt.Errorf("emupin: %s: %w", p.name, err)
		}
		p.w.interrupt()
	}
	p.last = p.Read()
	return nil
}

// WaitForEdge implements gpio.PinIn: it returns true when the level moved
// as In asked (since In or the last call), false when timeout passes, In
// or Halt is called, or no edge was asked for. timeout -1 waits until an
// edge, In, Halt or Close.
func (p *PowerGood) WaitForEdge(timeout time.Duration) bool {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	p.mu.Lock()
	w, edge, closed := p.w, p.edge, p.closed
	if !closed && w != nil {
		// Under mu: an In, Halt or Close from now on interrupts this wait.
		w.reset()
	}
	p.mu.Unlock()
	if closed || w == nil || edge == gpio.NoEdge {
		return false
	}
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		hit, err := w.drain()
		if err != nil {
			return false
		}
		if hit && p.edgeSeen(edge) {
			return true
		}
		left := time.Duration(-1)
		if timeout >= 0 {
			if left = time.Until(deadline); left <= 0 {
				return false
			}
		}
		_, woken, err := w.wait(left)
		if woken || err != nil {
			return false
		}
	}
}

// edgeSeen reads the level and reports whether it moved the way edge asks
// since the last look.
func (p *PowerGood) edgeSeen(edge gpio.Edge) bool {
	l := p.Read()
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.last
	p.last = l
	if prev == l {
		return false
	}
	return edge == gpio.BothEdges || (edge == gpio.RisingEdge) == (l == gpio.High)
}

// Pull implements gpio.PinIn: the pull last given to In.
func (p *PowerGood) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn: Float, the supply drives the line.
func (p *PowerGood) DefaultPull() gpio.Pull { return gpio.Float }

// Out implements gpio.PinOut: ErrInputOnly.
func (p *PowerGood) Out(gpio.Level) error {
	return fmt.Errorf("emupin: %s: %w", p.name, ErrInputOnly)
}

// PWM implements gpio.PinOut: ErrInputOnly.
func (p *PowerGood) PWM(gpio.Duty, physic.Frequency) error {
	return fmt.Errorf("emupin: %s: %w", p.name, ErrInputOnly)
}

// Halt implements conn.Resource: it ends a WaitForEdge in progress
// (periph.io's way to cancel one).
func (p *PowerGood) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && !p.closed {
		p.w.interrupt()
	}
	return nil
}

// Close ends a WaitForEdge in progress and releases the inotify
// descriptors; the pin reads on, without edges. Closing twice is fine.
func (p *PowerGood) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	w := p.w
	if w != nil {
		w.interrupt()
	}
	p.mu.Unlock()
	if w != nil {
		p.waitMu.Lock() // the waiter, if any, has seen the interrupt
		w.close()
		p.waitMu.Unlock()
	}
	return nil
}

// String implements conn.Resource.
func (p *PowerGood) String() string { return p.name + "(" + p.path + ")" }

// Name implements pin.Pin.
func (p *PowerGood) Name() string { return p.name }

// Number implements pin.Pin: -1, the pin has no GPIO number (so it can be
// registered with gpioreg next to a board's pins).
func (p *PowerGood) Number() int { return -1 }

// Function implements pin.Pin.
func (p *PowerGood) Function() string { return string(gpio.IN) }

// Func implements pin.PinFunc.
func (p *PowerGood) Func() pin.Func { return gpio.IN }

// SupportedFuncs implements pin.PinFunc.
func (p *PowerGood) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN} }

// SetFunc implements pin.PinFunc: only gpio.IN.
func (p *PowerGood) SetFunc(f pin.Func) error {
	if f != gpio.IN {
		return fmt.Errorf("emupin: %s: %w %q", p.name, ErrFunc, f)
	}
	return nil
}
