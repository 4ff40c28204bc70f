package lease

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// State is what Probe finds of one key.
type State struct {
	Key Key
	// Busy: a live run holds it (Holder says who, when it could be read).
	Busy bool
	// Left: free, but a dead run left it without releasing it (Holder
	// says which): its bench may not be in its safe state.
	Left   bool
	Holder *Holder
}

// Probe reports the state of each key without taking any lock (it reads
// the kernel's lock table, /proc/locks, and the holder in each file), so
// it never makes a run that starts meanwhile find its bench busy.
func Probe(keys ...Key) ([]State, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	held, err := flocked()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]State, 0, len(keys))
	for _, k := range keys {
		st := State{Key: k}
		path := filepath.Join(dir, fileName(k))
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if errors.Is(err, unix.ENOENT) {
			out = append(out, st)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("lease: %s: %w", path, err)
		}
		var fs unix.Stat_t
		if err := unix.Fstat(fd, &fs); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("lease: %s: %w", path, err)
		}
		st.Holder = readHolder(fd)
		unix.Close(fd)
		switch {
		case held[fileID{unix.Major(fs.Dev), unix.Minor(fs.Dev), fs.Ino}]:
			st.Busy = true
		case st.Holder != nil && st.Holder.Host != hostname() && st.Holder.Alive(now):
			st.Busy = true // another host's run, sharing the folder
		case st.Holder != nil:
			st.Left = true
		}
		out = append(out, st)
	}
	return out, nil
}

type fileID struct {
	major, minor uint32
	ino          uint64
}

// flocked lists the files that hold a flock(2) lock now, from /proc/locks
// ("1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; waiters, marked
// "->", hold nothing).
func flocked() (map[fileID]bool, error) {
	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	defer f.Close()
	held := map[fileID]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[1] != "FLOCK" {
			continue
		}
		parts := strings.Split(fs[5], ":")
		if len(parts) != 3 {
			continue
		}
		maj, err1 := strconv.ParseUint(parts[0], 16, 32)
		min, err2 := strconv.ParseUint(parts[1], 16, 32)
		ino, err3 := strconv.ParseUint(parts[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		held[fileID{uint32(maj), uint32(min), ino}] = true
	}
	return held, sc.Err()
}
