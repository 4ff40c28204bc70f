package runner

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/fault"
)

// busyBound bounds the wait for a BUSY: a terminal answers a request it
// cannot take at once.
const busyBound = 5 * time.Second

// expectBusy waits for the terminal to refuse the last transaction sent
// with BUSY. A RESULT for it first is a FAIL (it was taken, not refused);
// READY before either, or neither within busyBound, is a FAIL too: the
// transaction was lost, the ECR could not know whether to send it again.
func (ru *run) expectBusy(ctx context.Context) error {
	if ru.seq == 0 {
		return fmt.Errorf("busy: no transaction was sent before this step")
	}
	ref := "P" + strconv.Itoa(ru.seq)
	from := ru.txns.from
	wctx, cancel := context.WithTimeout(ctx, busyBound)
	defer cancel()
	m, err := ru.sess.waitFor(wctx, &from, "BUSY", func(m ecr.Message) (bool, error) {
		if m.Kind == ecr.Busy {
			return true, nil
		}
		if m.Kind == ecr.Ready {
			return false, fmt.Errorf("%s lost: the terminal reported READY without refusing it (BUSY) or answering it (RESULT)", ref)
		}
		if r, _ := m.Get("ref"); m.Kind == ecr.Result && r == ref {
			code, _ := m.Get("code")
			return false, fmt.Errorf("expected BUSY for %s, but the terminal took it: RESULT %s", ref, code)
		}
		return false, nil
	})
	if err != nil {
		return ru.dutError(fmt.Errorf("expected BUSY for %s within %v (refused, not lost): %w", ref, busyBound, err))
	}
	ru.rec.add("poshil", fmt.Sprintf("%s refused: %s", ref, m.Kind))
	return nil
}

// Signal implements fault.DUTSignaller: sig goes to the DUT's main
// process (its children are its own business), refused when none runs.
func (d dutSide) Signal(ctx context.Context, sig syscall.Signal) error {
	pid := 0
	err := d.ru.lc.do(ctx, func() error {
		if lc := d.ru.lc; lc.proc != nil && lc.state != Off && lc.state != Safe {
			pid = lc.proc.Pid()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if pid <= 0 {
		return fmt.Errorf("no DUT process runs to signal")
	}
	return syscall.Kill(pid, sig)
}

var _ fault.DUTSignaller = dutSide{}
