package vpcd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// lockDir holds the slot lock files (tests point it elsewhere).
var lockDir = os.TempDir()

// lockPath is the host-wide lock file of a slot address.
func lockPath(addr string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-':
			return r
		}
		return '_'
	}, addr)
	return filepath.Join(lockDir, "poshil-vpcd-"+name+".lock")
}

// lockSlot takes the host-wide lock of a slot so that two poshil cards are
// never queued on one vpcd port (vpcd accepts one card at a time and would
// silently hold the second connection until the first is removed). It waits
// until the lock is free or ctx ends (ErrSlotBusy). The lock is an flock on
// a file in the temp dir, released by the kernel if the process dies.
func lockSlot(ctx context.Context, addr string) (func(), error) {
	path := lockPath(addr)
	fd, err := unix.Open(path, unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return nil, fmt.Errorf("%s: lock %s: %w", addr, path, err)
	}
	unlock := func() {
		_ = unix.Flock(fd, unix.LOCK_UN)
		_ = unix.Close(fd)
	}
	if err := flock(fd, unix.LOCK_EX|unix.LOCK_NB); err == nil {
		return unlock, nil
	} else if !errors.Is(err, unix.EWOULDBLOCK) {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("%s: lock %s: %w", addr, path, err)
	}
	// Busy: wait in a goroutine (flock cannot be interrupted) and give up
	// when ctx ends; a late grant is then released at once.
	got := make(chan error, 1)
	go func() { got <- flock(fd, unix.LOCK_EX) }()
	select {
	case err := <-got:
		if err != nil {
			_ = unix.Close(fd)
			return nil, fmt.Errorf("%s: lock %s: %w", addr, path, err)
		}
		return unlock, nil
	case <-ctx.Done():
		go func() {
			if err := <-got; err == nil {
				unlock()
				return
			}
			_ = unix.Close(fd)
		}()
		return nil, fmt.Errorf("%s: %w: %w", addr, ErrSlotBusy, ctx.Err())
	}
}

// flock retries unix.Flock on EINTR.
func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
