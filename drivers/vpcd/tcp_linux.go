//go:build linux

package vpcd

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setQuickAck turns delayed ACKs off for the next read. Linux clears
// TCP_QUICKACK again on its own, so it must be set before every read:
// vpcd may send a frame's length and payload as two segments, and with
// delayed ACK on our side and Nagle on vpcd's, the payload waits ~40 ms.
func setQuickAck(rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
