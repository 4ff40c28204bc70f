package lease

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A holder rewrites its heartbeat every HeartbeatEvery while it holds a
// lock; a holder on another host whose heartbeat is older than TTL is
// gone (its lock is free). On this host the kernel frees a dead holder's
// flock at once, heartbeat or not.
const (
	HeartbeatEvery = 10 * time.Second
	TTL            = 30 * time.Second
)

// Left is a key whose previous holder ended without releasing it (killed
// with SIGKILL, its host lost): the bench it belongs to may not be in its
// safe state (a fault in force, power off, a card in the slot), so the
// next run restores that first.
type Left struct {
	Key    Key
	Holder Holder
}

// Left lists the keys of l that a dead run had left dirty.
func (l *Lease) Left() []Left {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Left(nil), l.left...)
}

// Restored records that the bench of l's Left keys is back in its safe
// state: Release then clears them. Until it is called, Release puts the
// dead run's record back, so a run that took a dirty bench and ended
// before restoring it (its bring-up failed) leaves it dirty.
func (l *Lease) Restored() {
	l.mu.Lock()
	l.restored = true
	l.mu.Unlock()
}

// Alive reports whether h's heartbeat is within TTL of now.
func (h *Holder) Alive(now time.Time) bool {
	return !h.Heartbeat.IsZero() && now.Sub(h.Heartbeat) < TTL
}

// Dead reports whether h is known dead: on this host its process is gone
// (or is another), elsewhere its heartbeat is older than TTL.
func (h *Holder) Dead(now time.Time) bool {
	if h.Host == hostname() || h.Host == "" {
		return !pidAlive(h.PID)
	}
	return !h.Alive(now)
}

func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

var (
	hostOnce sync.Once
	host     string
	runOnce  sync.Once
	runID    string
)

func hostname() string {
	hostOnce.Do(func() { host, _ = os.Hostname() })
	return host
}

// RunID names this process's run in every lock it holds: $POSHIL_RUN_ID
// when set (a CI job id), else random.
func RunID() string {
	runOnce.Do(func() {
		if runID = os.Getenv("POSHIL_RUN_ID"); runID == "" {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			runID = hex.EncodeToString(b)
		}
	})
	return runID
}

// heartbeat rewrites every held lock's heartbeat until Release.
func (l *Lease) heartbeat(stop <-chan struct{}) {
	defer l.beats.Done()
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			l.mu.Lock()
			for _, lk := range l.locks {
				if h := readHolder(lk.fd); h != nil && h.PID == os.Getpid() {
					h.Heartbeat = now.UTC().Truncate(time.Millisecond)
					_ = writeHolder(lk.fd, *h)
				}
			}
			l.mu.Unlock()
		}
	}
}

// heartbeatEvery is HeartbeatEvery; tests shorten it.
var heartbeatEvery = HeartbeatEvery

// RunString names the holder's run for a person: "run ID (pid N on HOST,
// since TIME)", "?" for what it did not record.
func (h Holder) RunString() string {
	orUnknown := func(s string) string {
		if s == "" {
			return "?"
		}
		return s
	}
	return fmt.Sprintf("run %s (pid %d on %s, since %s)", orUnknown(h.RunID), h.PID, orUnknown(h.Host), h.Since.Format(time.RFC3339))
}
