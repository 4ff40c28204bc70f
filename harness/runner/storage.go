package runner

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/poshil/poshil/harness/fault"
)

// SetStorageFull implements fault.DUTStorage: the running DUT process gets
// a soft file-size limit of 0 (full) or its hard limit back (not full),
// and DUT processes started meanwhile get it at their start.
func (d dutSide) SetStorageFull(ctx context.Context, full bool) error {
	ru := d.ru
	ru.clockMu.Lock()
	ru.storageFull = full
	ru.clockMu.Unlock()
	pid := 0
	err := ru.lc.do(ctx, func() error {
		if lc := ru.lc; lc.proc != nil && lc.state != Off && lc.state != Safe {
			pid = lc.proc.Pid()
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrSafeState) {
		return err
	}
	if pid <= 0 {
		return nil // no process runs (off, per sale between programs)
	}
	if err := fileLimit(pid, full); err != nil {
		if !full && errors.Is(err, unix.ESRCH) {
			return nil // the process is gone: nothing to give back
		}
		return err
	}
	if full {
		ru.rec.add("storage", fmt.Sprintf("DUT storage full: pid %d may grow no file (RLIMIT_FSIZE 0)", pid))
	} else {
		ru.rec.add("storage", fmt.Sprintf("DUT storage back: pid %d file-size limit restored", pid))
	}
	return nil
}

var _ fault.DUTStorage = dutSide{}

// fileLimit sets the soft RLIMIT_FSIZE of process pid to 0 (full) or to
// its hard limit (not full), with prlimit(2): no privilege is needed for a
// process of the same user.
func fileLimit(pid int, full bool) error {
	var cur unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &cur); err != nil {
		return fmt.Errorf("prlimit %d: %w", pid, err)
	}
	next := cur
	next.Cur = cur.Max
	if full {
		next.Cur = 0
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &next, nil); err != nil {
		return fmt.Errorf("prlimit %d: %w", pid, err)
	}
	return nil
}
