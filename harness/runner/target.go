package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/fault"
)

// target is the live bench as one scenario's faults see it.
type target struct {
	ru   *run
	card *cardSide
}

var _ fault.Target = (*target)(nil)

func (t *target) Card() fault.CardSide {
	if t.ru.rig.Bench.Card.Emulator == "" {
		return nil
	}
	return t.card
}

func (t *target) Host() *acquirer.Server { return t.ru.rig.acq }

func (t *target) DUT() fault.DUTSide {
	if t.ru.rig.parts.DUT == nil {
		return nil
	}
	return dutSide{t.ru}
}

func (t *target) Part(p fault.Part) any {
	if v, ok := t.ru.rig.faultParts[p]; ok {
		return v
	}
	return nil
}

func (t *target) Note(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	t.ru.rec.add("fault", text)
	t.ru.faultMu.Lock()
	t.ru.faults = append(t.ru.faults, evidence.FaultNote(t.ru.rec.start, time.Now(), text))
	t.ru.faultMu.Unlock()
}

// cardSide composes fault hooks on the emulated card. One dynamic
// interceptor is installed on each inserted card; it reads the current hook
// list at every APDU, so a fault injected by a trigger on an APDU acts on
// that very APDU.
type cardSide struct {
	ru *run

	mu     sync.Mutex
	hooks  []hookEntry // oldest first
	nextID int
	card   *emvcard.Card // the card in play, for hooks' Attach
}

type hookEntry struct {
	id int
	h  emvcard.Hooks
}

// AddHooks installs h on the current and later cards.
func (c *cardSide) AddHooks(h emvcard.Hooks) (remove func()) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.hooks = append(c.hooks, hookEntry{id: id, h: h})
	card := c.card
	c.mu.Unlock()
	if card != nil && h.Attach != nil {
		h.Attach(card) // e.g. preset the PIN try counter of the card in play
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			for i, e := range c.hooks {
				if e.id == id {
					c.hooks = append(c.hooks[:i:i], c.hooks[i+1:]...)
					return
				}
			}
		})
	}
}

// Pull removes the card now.
func (c *cardSide) Pull(ctx context.Context) error {
	return c.ru.removeCard()
}

func (c *cardSide) snapshot() []hookEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]hookEntry(nil), c.hooks...)
}

// install puts the dynamic hooks on a card about to be inserted and lets
// every active fault attach to it.
func (c *cardSide) install(card *emvcard.Card) {
	c.mu.Lock()
	c.card = card
	c.mu.Unlock()
	card.SetHooks(emvcard.Hooks{APDU: c.intercept, ATR: c.atr})
	for _, e := range c.snapshot() {
		if e.h.Attach != nil {
			e.h.Attach(card)
		}
	}
}

// intercept notifies the schedule of the APDU (triggers fire first), then
// runs the fault chain, newest hook outermost, and records the exchange.
func (c *cardSide) intercept(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
	if c.ru.sched != nil {
		c.ru.sched.Notify(fault.Event{Kind: fault.EventAPDU, INS: cmd.INS})
	}
	h := next
	for _, e := range c.snapshot() {
		if e.h.APDU == nil {
			continue
		}
		inner, icp := h, e.h.APDU
		h = func(ctx context.Context, cmd emvcard.Command) ([]byte, error) { return icp(ctx, cmd, inner) }
	}
	return h(ctx, cmd)
}

// atr applies every fault's ATR mapping, oldest first.
func (c *cardSide) atr(atr []byte) []byte {
	for _, e := range c.snapshot() {
		if e.h.ATR != nil {
			atr = e.h.ATR(atr)
		}
	}
	return atr
}

// dutSide is the DUT's power as faults see it: each call asks the
// scenario's lifecycle for a transition; none starts or stops a process
// itself. In the safe state both are no-ops.
type dutSide struct{ ru *run }

// Kill asks for "DUT off", as a power cut.
func (d dutSide) Kill(ctx context.Context) error {
	if err := d.ru.lc.PowerOff(ctx); err != nil && !errors.Is(err, ErrSafeState) {
		return err
	}
	return nil
}

// Start asks for "DUT on" and waits for READY. Refused in the safe state
// (a power cut cleared on abort must not boot the DUT just to stop it).
func (d dutSide) Start(ctx context.Context) error {
	return d.boot(ctx, "power", "DUT restarting (power restored)")
}

// boot asks for "DUT on", records why under source, and waits for READY.
func (d dutSide) boot(ctx context.Context, source, why string) error {
	from := len(d.ru.sess.all()) // its own cursor: the steps keep theirs
	// A DUT started again numbers its frames afresh: its first READY may
	// repeat the last frame byte for byte, and is new all the same.
	if l, ok := d.ru.sess.link.(interface{ PeerRestarted() }); ok {
		l.PeerRestarted()
	}
	started, err := d.ru.lc.PowerOn(ctx)
	switch {
	case errors.Is(err, ErrSafeState):
		d.ru.rec.add("power", "DUT not restarted: the bench is in its safe state")
		return nil
	case err != nil || !started:
		return err
	}
	d.ru.rec.add(source, why)
	if err := d.ru.waitReadyFrom(ctx, &from); err != nil {
		return err
	}
	if err := d.ru.lc.Ready(ctx); err != nil && !errors.Is(err, ErrSafeState) {
		return err
	}
	return nil
}
