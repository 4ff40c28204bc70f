package runner

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/poshil/poshil/harness/faketime"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/verdict"
)

// clockLauncher starts the DUT with the scenario's wrong clock (fault
// clock), if one is set: libfaketime's environment and POSHIL_FAKETIME
// after the bench's own variables; and with full storage (fault
// storage_full) while that is set.
type clockLauncher struct {
	ru *run
	l  Launcher
}

// Launch implements Launcher.
func (c clockLauncher) Launch(la Launch) (Process, error) {
	if v := c.ru.clockValue(); v != "" {
		env, err := c.ru.clockEnv(v)
		if err != nil {
			return nil, err
		}
		la.Env = append(append([]string(nil), la.Env...), env...)
	}
	p, err := c.l.Launch(la)
	if err != nil {
		return p, err
	}
	c.ru.clockMu.Lock()
	full := c.ru.storageFull
	c.ru.clockMu.Unlock()
	if full && p.Pid() > 0 {
		if err := fileLimit(p.Pid(), true); err != nil {
			p.Kill()
			return nil, verdict.Bench("storage_full", err)
		}
	}
	return p, nil
}

// clockValue is the FAKETIME value DUT processes start with ("" : the
// real clock).
func (ru *run) clockValue() string {
	ru.clockMu.Lock()
	defer ru.clockMu.Unlock()
	return ru.clock
}

// clockEnv is the environment of clock v per the bench's
// dut.process.clock. Without libfaketime a bench that needs it is a bench
// error (the DUT would run on the real clock and be blamed for it); one
// that does not say gets a note in the transcript (then only a DUT that
// reads POSHIL_FAKETIME itself sees the wrong clock).
func (ru *run) clockEnv(v string) ([]string, error) {
	how := ""
	if p := ru.rig.Bench.DUT.Process; p != nil {
		how = p.Clock
	}
	if how == "env" {
		return faketime.Env(v, "", ""), nil
	}
	lib := faketime.Library(os.Getenv)
	missing := "libfaketime is not installed (Debian: apt-get install faketime; or set " + faketime.LibVar + ")"
	switch {
	case lib == "" && how == "libfaketime":
		return nil, verdict.Bench("clock", fmt.Errorf("%s, and the bench's dut.process.clock needs it", missing))
	case lib == "":
		ru.rec.add("clock", missing+": only a DUT that reads "+faketime.Var+" runs with the wrong clock")
	}
	return faketime.Env(v, lib, os.Getenv("LD_PRELOAD")), nil
}

// clockAtBoot takes the clock of a clock fault armed at the scenario's
// start (no trigger) before the DUT's first boot, so the DUT boots once,
// with it.
func (ru *run) clockAtBoot() {
	for i := range ru.sc.Faults {
		sp := &ru.sc.Faults[i]
		f, ok := sp.Fault.(interface{ AtBoot() string })
		if !ok || sp.When != (fault.Trigger{}) {
			continue
		}
		ru.clockMu.Lock()
		ru.clock = f.AtBoot()
		ru.clockMu.Unlock()
		ru.rec.add("clock", fmt.Sprintf("DUT boots with its clock at FAKETIME=%q", f.AtBoot()))
	}
}

// SetClock implements fault.DUTClock: DUT processes start with clock v
// from now on, and a DUT running with another clock is stopped (gently)
// and booted again. In the safe state nothing restarts.
func (d dutSide) SetClock(ctx context.Context, v string) error {
	ru := d.ru
	ru.clockMu.Lock()
	same := ru.clock == v
	ru.clock = v
	ru.clockMu.Unlock()
	if same {
		return nil // the DUT runs with it already (it booted with it)
	}
	stopped, err := ru.lc.stopForRestart(ctx, func() {
		ru.sess.setDUTDone(nil) // an intended stop: waits go on until the restart
		ru.rec.add("clock", "DUT stopped to restart it with another clock")
	})
	if errors.Is(err, ErrSafeState) || (err == nil && !stopped) {
		return nil
	}
	if err != nil {
		return err
	}
	why := fmt.Sprintf("DUT restarting with its clock at FAKETIME=%q", v)
	if v == "" {
		why = "DUT restarting with the real clock"
	}
	return d.boot(ctx, "clock", why)
}

var _ fault.DUTClock = dutSide{}

// stopForRestart stops a running DUT gently (SIGTERM, then SIGKILL) so it
// can be started again with other settings (state Off); before runs just
// before the stop. It says whether a DUT was running; refused in the
// safe state.
func (lc *Lifecycle) stopForRestart(ctx context.Context, before func()) (stopped bool, err error) {
	err = lc.do(ctx, func() error {
		switch lc.state {
		case Off:
			return nil
		case Safe:
			return lc.refuse("DUT restart")
		}
		if lc.proc != nil {
			if before != nil {
				before()
			}
			lc.proc.Stop()
		}
		lc.state = Off
		stopped = true
		return nil
	})
	return stopped, err
}
