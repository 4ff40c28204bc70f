package emupin

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watcher tells when the state file is replaced, with inotify on its
// directory (the writer renames a new file over it, so a watch on the file
// itself would go stale), plus an eventfd to interrupt a wait.
type watcher struct {
	ino, wake int
	base      string
	buf       []byte
}

// watchMask: a new file renamed in (the normal case), written in place,
// created or removed.
const watchMask = unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_DELETE

func newWatcher(path string) (*watcher, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ino, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(ino, dir, watchMask); err != nil {
		unix.Close(ino)
		return nil, fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(ino)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	return &watcher{ino: ino, wake: wake, base: base, buf: make([]byte, 4096)}, nil
}

// drain reads every queued event without waiting and reports whether one
// was about the state file.
func (w *watcher) drain() (bool, error) {
	hit := false
	for {
		n, err := unix.Read(w.ino, w.buf)
		if errors.Is(err, unix.EAGAIN) {
			return hit, nil
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return hit, fmt.Errorf("inotify read: %w", err)
		}
		if n <= 0 {
			return hit, nil
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			end := off + unix.SizeofInotifyEvent + int(ev.Len)
			if end > n {
				break
			}
			name := w.buf[off+unix.SizeofInotifyEvent : end]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if string(name) == w.base || ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				hit = true
			}
			off = end
		}
	}
}

// wait blocks until an event is queued (true), the wait is interrupted
// (false, nil) or timeout passes (false, nil); timeout < 0 waits until an
// event or an interrupt.
func (w *watcher) wait(timeout time.Duration) (event, woken bool, err error) {
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	fds := []unix.PollFd{{Fd: int32(w.ino), Events: unix.POLLIN}, {Fd: int32(w.wake), Events: unix.POLLIN}}
	_, err = unix.Poll(fds, ms)
	if errors.Is(err, unix.EINTR) {
		return false, false, nil // the caller recomputes what is left of its timeout
	}
	if err != nil {
		return false, false, fmt.Errorf("poll: %w", err)
	}
	return fds[0].Revents&unix.POLLIN != 0, fds[1].Revents&unix.POLLIN != 0, nil
}

// interrupt makes a wait in progress (or the next one, unless reset first)
// return.
func (w *watcher) interrupt() {
	var one [8]byte
	one[0] = 1 // eventfd takes a native-endian uint64; 1 in either order is non-zero
	unix.Write(w.wake, one[:])
}

// reset forgets interrupts made before now.
func (w *watcher) reset() {
	var b [8]byte
	unix.Read(w.wake, b[:])
}

func (w *watcher) close() {
	unix.Close(w.ino)
	unix.Close(w.wake)
}
