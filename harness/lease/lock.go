package lease

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// lock is one held lock file.
type lock struct {
	key      Key
	fd       int
	previous *Holder // what the file said when the lock was taken
}

// fileName is the lock file of a key: readable, and unique by a hash of
// the full name.
func fileName(k Key) string {
	sum := sha256.Sum256([]byte(k.Name))
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-':
			return r
		}
		return '_'
	}, k.Name)
	if len(name) > 80 {
		name = name[:80]
	}
	return name + "-" + hex.EncodeToString(sum[:6]) + ".lock"
}

// openLock opens (creating) the lock file of k in dir: never through a
// symlink, never a file of another user or one others can write.
func openLock(dir string, k Key) (int, string, error) {
	path := filepath.Join(dir, fileName(k))
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o600)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return -1, path, fmt.Errorf("%w: %s is a symlink", ErrUnsafe, path)
		}
		return -1, path, fmt.Errorf("lease: %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, path, fmt.Errorf("lease: %s: %w", path, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = fmt.Errorf("%w: %s is not a regular file", ErrUnsafe, path)
	case int(st.Uid) != unix.Geteuid():
		err = fmt.Errorf("%w: %s belongs to uid %d", ErrUnsafe, path, st.Uid)
	case st.Mode&0o077 != 0:
		err = fmt.Errorf("%w: %s has mode %#o (want 0600)", ErrUnsafe, path, st.Mode&0o777)
	case st.Nlink != 1:
		err = fmt.Errorf("%w: %s has %d links", ErrUnsafe, path, st.Nlink)
	}
	if err != nil {
		unix.Close(fd)
		return -1, path, err
	}
	return fd, path, nil
}

// lockKey takes k's lock; with ctx nil it does not wait. prev is the
// holder a dead run left in the file (see Left), or nil.
func lockKey(ctx context.Context, dir string, k Key) (_ *lock, prev *Holder, _ error) {
	lk, err := lockFile(ctx, dir, k)
	if err != nil {
		return nil, nil, err
	}
	if prev = lk.previous; prev != nil && prev.Alive(time.Now()) && prev.Host != hostname() {
		// The lock folder is shared with another host, whose locks
		// flock(2) here cannot see: its fresh heartbeat holds the key.
		unix.Close(lk.fd)
		return nil, nil, &BusyError{Key: k, Holder: prev}
	}
	if err := writeHolder(lk.fd, me()); err != nil {
		_ = flock(lk.fd, unix.LOCK_UN)
		unix.Close(lk.fd)
		return nil, nil, fmt.Errorf("lease: %s: %w", filepath.Join(dir, fileName(k)), err)
	}
	return lk, prev, nil
}

// lockFile takes the flock of k's file and reads the holder left in it.
func lockFile(ctx context.Context, dir string, k Key) (*lock, error) {
	fd, path, err := openLock(dir, k)
	if err != nil {
		return nil, err
	}
	err = flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) && ctx != nil {
		holder := readHolder(fd) // before waiting: fd may be closed after
		if !waitLock(ctx, fd) {
			busy := &BusyError{Key: k, Holder: holder}
			return nil, fmt.Errorf("%w (waited: %w)", busy, context.Cause(ctx))
		}
		err = nil
	}
	if errors.Is(err, unix.EWOULDBLOCK) {
		busy := &BusyError{Key: k, Holder: readHolder(fd)}
		unix.Close(fd)
		return nil, busy
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lease: lock %s: %w", path, err)
	}
	return &lock{key: k, fd: fd, previous: readHolder(fd)}, nil
}

// waitLock waits for the lock on fd until ctx ends. flock cannot be
// interrupted, so it blocks in a goroutine; one granted after ctx ended
// is released at once, and fd is closed when that goroutine is done.
// It reports whether fd is locked; if not, fd is closed (now or later).
func waitLock(ctx context.Context, fd int) bool {
	got := make(chan error, 1)
	go func() { got <- flock(fd, unix.LOCK_EX) }()
	select {
	case err := <-got:
		if err != nil {
			unix.Close(fd)
			return false
		}
		return true
	case <-ctx.Done():
		go func() {
			if err := <-got; err == nil {
				_ = flock(fd, unix.LOCK_UN)
			}
			unix.Close(fd)
		}()
		return false
	}
}

// release clears the holder and frees the lock. The file stays: removing
// a lock file races with a process that has opened but not yet locked it.
//
// With keep set (a dead run's record that was never restored), the file
// gets that record back instead, so the bench stays dirty.
func (lk *lock) release(keep *Holder) {
	if keep != nil {
		_ = writeHolder(lk.fd, *keep)
	} else {
		_ = unix.Ftruncate(lk.fd, 0)
	}
	_ = flock(lk.fd, unix.LOCK_UN)
	_ = unix.Close(lk.fd)
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
