package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/host/v3"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/emulated"
	"github.com/poshil/poshil/drivers/power/relay"
	"github.com/poshil/poshil/drivers/power/scpi"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/harness/bench"
)

// openSupply opens the bench's supply as its bench file names it. close
// releases what it opened (the emulated supply's state file, the SCPI
// supply's line); the supply is left as it is (the safe state is the
// rig's job).
func (r *Rig) openSupply(ctx context.Context, pw *bench.Power) (s Supply, close func() error, err error) {
	nominal := pw.Nominal.Potential()
	switch pw.Supply {
	case bench.SupplyRelay:
		if _, err := host.Init(); err != nil {
			return nil, nil, fmt.Errorf("periph.io host drivers: %w", err)
		}
		pin := gpioreg.ByName(pw.Relay.Pin)
		if pin == nil {
			return nil, nil, fmt.Errorf("relay: GPIO pin %q not found (periph.io knows %d pins)", pw.Relay.Pin, len(gpioreg.All()))
		}
		rl, err := relay.New(pin, &relay.Opts{ActiveLow: pw.Relay.ActiveLow, Nominal: nominal})
		if err != nil {
			return nil, nil, err
		}
		return watch(rl), func() error { return nil }, nil
	case bench.SupplySCPI:
		c := pw.SCPI
		octx, cancel := context.WithTimeout(ctx, openBound)
		defer cancel()
		port, err := serial.OpenAddr(octx, c.Port, serial.Options{Baud: c.Baud})
		if err != nil {
			return nil, nil, err
		}
		sp, err := scpi.Open(octx, port, &scpi.Opts{Nominal: nominal, Limit: c.Limit.Potential(), Timeout: c.Timeout})
		if err != nil {
			port.Close()
			return nil, nil, err
		}
		return watch(sp), port.Close, nil
	default:
		es, err := emulated.New(filepath.Join(r.workdir, "supply.state"), &emulated.Opts{Nominal: nominal})
		if err != nil {
			return nil, nil, err
		}
		return es, es.Close, nil
	}
}

// watched gives a real supply (a relay, a SCPI instrument) what the rig
// needs of every supply: change callbacks (a cut stops the DUT process,
// the timeline records each change). It has no state file: a real DUT
// measures its own rail.
type watched struct {
	power.Supply

	mu   sync.Mutex // serializes changes; guards st and subs
	st   emulated.State
	subs map[int]emulated.ChangeFunc
	next int
}

// watch wraps s; its state is taken as nominal and on until a change says
// otherwise (the rig puts every supply in its safe state before a scenario).
func watch(s power.Supply) *watched {
	w := &watched{Supply: s, subs: map[int]emulated.ChangeFunc{}}
	w.st = emulated.State{Output: true}
	if n, ok := s.(power.Nominaler); ok {
		w.st.Voltage = n.Nominal()
	}
	return w
}

// Nominal implements power.Nominaler when the supply does.
func (w *watched) Nominal() physic.ElectricPotential {
	if n, ok := w.Supply.(power.Nominaler); ok {
		return n.Nominal()
	}
	return 0
}

// Path implements Supply: a real supply has no state file.
func (w *watched) Path() string { return "" }

// OnChange implements Supply.
func (w *watched) OnChange(f emulated.ChangeFunc) (remove func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next++
	id := w.next
	w.subs[id] = f
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.subs, id)
	}
}

// SetOutput implements power.Supply and announces the change.
func (w *watched) SetOutput(ctx context.Context, on bool) error {
	return w.change(ctx, func(st *emulated.State) error {
		if err := w.Supply.SetOutput(ctx, on); err != nil {
			return err
		}
		st.Output = on
		return nil
	})
}

// SetVoltage implements power.Supply and announces the change.
func (w *watched) SetVoltage(ctx context.Context, v physic.ElectricPotential) error {
	return w.change(ctx, func(st *emulated.State) error {
		if err := w.Supply.SetVoltage(ctx, v); err != nil {
			return err
		}
		st.Voltage = v
		return nil
	})
}

// Halt implements power.Supply: the supply's own Halt (output on at
// nominal), announced as a change so a DUT cut off before boots again.
func (w *watched) Halt() error {
	ctx, cancel := context.WithTimeout(context.Background(), haltBound)
	defer cancel()
	return w.change(ctx, func(st *emulated.State) error {
		if err := w.Supply.Halt(); err != nil {
			return err
		}
		st.Output, st.Voltage = true, w.Nominal()
		return nil
	})
}

// haltBound bounds a real supply's Halt with its callbacks (a DUT boot).
const haltBound = 30 * time.Second

// change applies edit under the lock and runs the callbacks, outside it,
// when the state changed.
func (w *watched) change(ctx context.Context, edit func(*emulated.State) error) error {
	w.mu.Lock()
	old := w.st
	next := old
	if err := edit(&next); err != nil {
		w.mu.Unlock()
		return err
	}
	if next == old {
		w.mu.Unlock()
		return nil
	}
	next.Seq = old.Seq + 1
	w.st = next
	subs := make([]emulated.ChangeFunc, 0, len(w.subs))
	for id := 1; id <= w.next; id++ {
		if f, ok := w.subs[id]; ok {
			subs = append(subs, f)
		}
	}
	w.mu.Unlock()
	var errs []error
	for _, f := range subs {
		errs = append(errs, f(ctx, emulated.Change{From: old, To: next}))
	}
	return errors.Join(errs...)
}
