// Package lease lets a run hold the bench resources it uses (a vpcd card
// slot, a PC/SC reader, a serial device, a TCP listen port) across the
// processes of one host, so two runs never share a card slot or a line.
//
// A lease is a set of flock(2) locks, one per resource, on files named
// after the resource's canonical key (see the Key constructors: every
// spelling of one resource gives one key). The kernel drops a lock when
// its holder dies, even by SIGKILL, so a killed run frees its bench at
// once. Each lock file names its holder (host, run id, pid, since) and a
// heartbeat the holder rewrites every HeartbeatEvery: in a lock folder
// shared by several hosts, where one host's flock cannot see another's, a
// holder on another host holds its key while its heartbeat is younger
// than TTL. A holder that dies without releasing leaves its record in the
// file: the next lease reports the key as Left (its bench is dirty and
// must be returned to its safe state first), and Probe shows it, without
// taking any lock, for `poshil benches`.
//
// Lock files live in a directory of the user's own (see Dir), created
// 0700 and refused when it is not the user's or others can write it; lock
// files are opened without following symlinks, mode 0600, and carry their
// holder (pid, command line, since when) so a refused run can say who
// holds the bench. Because the directory is per user, two users on one
// host do not exclude each other.
package lease

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Errors of Acquire, Try and Dir; test them with errors.Is.
var (
	// ErrBusy: another run holds a resource (a *BusyError says who).
	ErrBusy = errors.New("bench busy")
	// ErrUnsafe: the lock directory or a lock file is not what this
	// package made (another owner, a group- or world-writable mode, a
	// symlink): a lock that another user can replace guards nothing.
	ErrUnsafe = errors.New("lease: unsafe lock file")
)

// Key names one bench resource. Make keys with the constructors of this
// package (VPCDSlot, Reader, Serial, TCPPort, Workdir): they resolve the
// spelling a bench file uses to the resource itself.
type Key struct {
	// Name is the canonical resource, e.g. "vpcd net:[4026531840] local:35963".
	Name string
	// Desc is how the bench spells it, for messages.
	Desc string
}

func (k Key) String() string {
	if k.Desc == "" || k.Desc == k.Name {
		return k.Name
	}
	return k.Desc + " (" + k.Name + ")"
}

// Holder is who holds a lock, as written into its file.
type Holder struct {
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	Command string    `json:"command"`
	// Host is the holder's host name; RunID names its run (RunID).
	Host  string `json:"host,omitempty"`
	RunID string `json:"run_id,omitempty"`
	// Heartbeat is when the holder last said it is alive (every
	// HeartbeatEvery while it holds the lock).
	Heartbeat time.Time `json:"heartbeat,omitzero"`
}

// BusyError says which resource is held, and by whom when the holder
// could be read.
type BusyError struct {
	Key    Key
	Holder *Holder
}

func (e *BusyError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("bench busy: %s is held by another run", e.Key)
	}
	return fmt.Sprintf("bench busy, held by pid %d since %s (%s): %s", e.Holder.PID,
		e.Holder.Since.Format(time.RFC3339), e.Holder.Command, e.Key)
}

// Unwrap makes errors.Is(err, ErrBusy) hold.
func (e *BusyError) Unwrap() error { return ErrBusy }

// Lease holds locks until Release.
type Lease struct {
	mu    sync.Mutex
	locks []*lock
	left  []Left
	// restored: the Left keys were returned to their safe state (Restored)
	restored bool
	stop     chan struct{} // closed by Release: ends the heartbeat
	beats    sync.WaitGroup
}

// Try takes every key at once or none: a key another run holds is a
// *BusyError. Keys are taken in their canonical order.
func Try(keys ...Key) (*Lease, error) { return take(nil, keys) }

// Acquire takes every key, waiting for a held one until ctx ends; then
// it fails with the *BusyError of the key it was waiting for (which also
// wraps ctx's error). Keys are taken in their canonical order, so two
// runs waiting for overlapping benches do not deadlock.
func Acquire(ctx context.Context, keys ...Key) (*Lease, error) { return take(ctx, keys) }

func take(ctx context.Context, keys []Key) (*Lease, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
	keys = slices.CompactFunc(keys, func(a, b Key) bool { return a.Name == b.Name })
	l := &Lease{stop: make(chan struct{})}
	for _, k := range keys {
		lk, prev, err := lockKey(ctx, dir, k)
		if err != nil {
			l.Release()
			return nil, err
		}
		l.locks = append(l.locks, lk)
		if prev != nil {
			l.left = append(l.left, Left{Key: k, Holder: *prev})
		}
	}
	l.beats.Add(1)
	go l.heartbeat(l.stop)
	return l, nil
}

// Holds reports whether l holds k.
func (l *Lease) Holds(k Key) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.locks, func(lk *lock) bool { return lk.key.Name == k.Name })
}

// Release frees every lock. It is idempotent and safe on a nil Lease.
func (l *Lease) Release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	locks := l.locks
	l.locks = nil
	if l.stop != nil {
		close(l.stop)
		l.stop = nil
	}
	l.mu.Unlock()
	l.beats.Wait()
	for _, lk := range locks {
		var keep *Holder
		if !l.restored {
			for _, lf := range l.left {
				if lf.Key.Name == lk.key.Name {
					keep = &lf.Holder
				}
			}
		}
		lk.release(keep)
	}
}

// me is this process as a holder.
func me() Holder {
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > 200 {
		cmd = cmd[:200] + "..."
	}
	now := time.Now().UTC().Truncate(time.Second)
	return Holder{PID: os.Getpid(), Since: now, Command: cmd, Host: hostname(), RunID: RunID(), Heartbeat: now}
}

// writeHolder records h in the lock file fd (which this process locks).
func writeHolder(fd int, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	// Written over the old record, then cut to length: a reader never
	// finds the file empty while it is held (the old record's tail, if
	// any, follows the first JSON value and is ignored).
	data = append(data, '\n')
	if _, err := unix.Pwrite(fd, data, 0); err != nil {
		return err
	}
	return unix.Ftruncate(fd, int64(len(data)))
}

// readHolder reads the holder a lock file names, or nil.
func readHolder(fd int) *Holder {
	buf := make([]byte, 1024)
	n, err := unix.Pread(fd, buf, 0)
	if err != nil || n == 0 {
		return nil
	}
	var h Holder
	if json.NewDecoder(bytes.NewReader(buf[:n])).Decode(&h) != nil || h.PID == 0 {
		return nil
	}
	return &h
}
