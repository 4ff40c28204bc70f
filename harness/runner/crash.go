package runner

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poshil/poshil/harness/fault"
)

// signaller is a Process that can be sent a signal (the DUT process the
// runner starts; fakes in tests).
type signaller interface {
	Signal(sig syscall.Signal) error
}

// Signal sends sig to the process group, as a crash would end every
// process of the DUT.
func (p *process) Signal(sig syscall.Signal) error {
	if done, _ := p.exited(); done {
		return nil
	}
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Crash kills the DUT with sig (state Off), as the process dying of a
// crash: the session is told the death is intended (waits go on until the
// restart). A process still alive stopGrace after the signal (it caught
// or ignored it) is killed. A no-op when the DUT is off; refused in the
// safe state.
func (lc *Lifecycle) Crash(ctx context.Context, sig syscall.Signal) error {
	return lc.do(ctx, func() error {
		switch lc.state {
		case Off:
			return nil
		case Safe:
			return lc.refuse("DUT crash")
		}
		if lc.proc != nil {
			s, ok := lc.proc.(signaller)
			if !ok {
				return fmt.Errorf("%w: the DUT process cannot be sent a signal", fault.ErrUnsupported)
			}
			if lc.hooks.Crashed != nil {
				lc.hooks.Crashed(sig)
			}
			if err := s.Signal(sig); err != nil {
				return fmt.Errorf("signal %v: %w", sig, err)
			}
			select {
			case <-lc.proc.Done():
			case <-time.After(stopGrace):
				lc.proc.Kill()
			}
		}
		lc.state = Off
		return nil
	})
}

// Crash implements fault.DUTCrasher.
func (d dutSide) Crash(ctx context.Context, sig syscall.Signal) error {
	if err := d.ru.lc.Crash(ctx, sig); err != nil && !errors.Is(err, ErrSafeState) {
		return err
	}
	return nil
}

// Restart implements fault.DUTCrasher: "DUT on" and READY, as after a
// power cut, recorded as a supervisor's restart.
func (d dutSide) Restart(ctx context.Context) error {
	return d.boot(ctx, "dut", "DUT restarting (its supervisor, after the crash)")
}

var _ fault.DUTCrasher = dutSide{}

// crashed tells the session the DUT's coming death is intended (waits go
// on until the restart) and records it.
func (ru *run) crashed(sig syscall.Signal) {
	ru.sess.setDUTDone(nil)
	ru.rec.add("dut", fmt.Sprintf("DUT crashed: %s (%v)", unix.SignalName(sig), sig))
}
