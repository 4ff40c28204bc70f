package workdir

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ownedByMe reports whether st is this user's.
func ownedByMe(st os.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Geteuid()
}

// killWait bounds the wait for killed processes to be gone.
const killWait = 2 * time.Second

// killMarked sends SIGKILL to every process whose environment names dir,
// waits (bounded) until they are gone, and returns their pids. Each is
// signalled and awaited through a pidfd, so a pid reused meanwhile is
// never hit.
func killMarked(dir string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids, fds []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue
		}
		// Read the environment after the pidfd is open: then the pidfd
		// is the process that was read.
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !marked(env, dir) || unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) != nil {
			unix.Close(fd)
			continue
		}
		pids = append(pids, pid)
		fds = append(fds, fd)
	}
	deadline := time.Now().Add(killWait)
	for _, fd := range fds {
		// A pidfd is readable once its process has ended.
		ms := int(time.Until(deadline).Milliseconds())
		for ms > 0 {
			n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
			if n > 0 || err == nil || err != unix.EINTR {
				break
			}
			ms = int(time.Until(deadline).Milliseconds())
		}
		unix.Close(fd)
	}
	return pids
}
