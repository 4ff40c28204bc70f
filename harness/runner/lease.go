package runner

import (
	"context"
	"fmt"
	"os"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/workdir"
)

// openWork makes the rig's work folder, cleaning what killed runs left.
func (r *Rig) openWork() error {
	w, err := workdir.New(r.notice)
	if err != nil {
		return verdict.Bench("workdir", err)
	}
	r.work, r.workdir = w, w.Path()
	return nil
}

// leaseBench takes the bench's resources for the rig's life (see package
// lease): its card slot, its reader on this pcscd, its serial devices (a
// SCPI supply's too), a relay's GPIO pin and fixed listen ports. With
// Options.Wait 0 a held bench is a bench error at once ("bench busy, held
// by pid N"); otherwise it waits that long.
func (r *Rig) leaseBench(ctx context.Context) error {
	keys, err := benchKeys(ctx, r.Bench)
	if err != nil {
		return verdict.Bench("lease", err)
	}
	if r.opts.Wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, r.opts.Wait)
		defer cancel()
		r.lease, err = lease.Acquire(wctx, keys...)
	} else {
		r.lease, err = lease.Try(keys...)
	}
	if err != nil {
		return verdict.Bench("bench", err)
	}
	if b := r.Bench; b.Card.Emulator != "" {
		r.slot, err = vpcd.Held(ctx, b.Card.Emulator, r.lease)
		if err != nil {
			return verdict.Bench("card emulator "+b.Card.Emulator, err)
		}
	}
	if h := r.Bench.Host.Emulated; h != nil && h.Expose {
		r.notice(fmt.Sprintf("poshil: warning: bench %s exposes its emulated host on %s beyond this machine (host.emulated.expose)", r.Bench.Name, h.Listen))
	}
	return nil
}

// benchKeys lists the lease keys of what b uses.
func benchKeys(ctx context.Context, b *bench.Bench) ([]lease.Key, error) {
	var keys []lease.Key
	if b.Card.Emulator != "" {
		k, err := lease.VPCDSlot(ctx, b.Card.Emulator)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	// Without a pcscd socket there is no reader to hold: opening PC/SC
	// then fails and says so.
	if k, err := lease.Reader(lease.PCSCSocket(), b.Card.Reader); err == nil {
		keys = append(keys, k)
	}
	lines := []*bench.Line{&b.ECR, b.MSR, b.Printer, b.Keypad}
	if pw := b.Power; pw != nil {
		switch pw.Supply {
		case bench.SupplySCPI: // the instrument's line, like the DUT's
			lines = append(lines, &bench.Line{Port: pw.Port})
		case bench.SupplyRelay:
			keys = append(keys, lease.Key{Name: "gpio " + pw.Pin, Desc: "relay pin " + pw.Pin})
		}
	}
	for _, l := range lines {
		if l == nil || l.Port == "" || l.Emulated() {
			continue
		}
		if l.Remote() {
			k, err := lease.RemoteSerial(ctx, l.Port)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
			continue
		}
		k, err := lease.Serial(l.Port)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if h := b.Host.Emulated; h != nil {
		k, ok, err := lease.TCPPort(ctx, h.Listen)
		if err != nil {
			return nil, err
		}
		if ok {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// insertCard puts card into the rig's reserved slot.
func (r *Rig) insertCard(ctx context.Context, card vpcd.Card) (*vpcd.Slot, error) {
	if r.slot == nil {
		return nil, fmt.Errorf("bench %s has no card emulator", r.Bench.Name)
	}
	return r.slot.Insert(ctx, card)
}

// notice reports something the user should know about the rig (a killed
// run cleaned up, an exposed listener) through Options.Notice, or stderr.
func (r *Rig) notice(msg string) {
	if r.opts.Notice != nil {
		r.opts.Notice(msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
}
