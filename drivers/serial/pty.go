package serial

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal pair standing in for a cable on the emulated
// bench. The harness keeps the master side (Port); the other party (the
// terminal firmware, a test) opens Path with Open like any serial device.
//
// The slave side is set to raw mode (no echo, no line editing, no CR/LF
// translation, 8 bits) so bytes pass unchanged both ways, and PTY keeps its
// own handle on it: the master never sees EIO when the peer closes, and a
// peer that restarts can reopen Path.
type PTY struct {
	port *filePort
	tty  *os.File
	path string
}

// NewPTY opens a new pseudo-terminal pair.
func NewPTY() (*PTY, error) {
	master, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("/dev/ptmx: %w: %w", ErrOpen, err)
	}
	path := tty.Name()
	fail := func(op string, err error) (*PTY, error) {
		master.Close()
		tty.Close()
		return nil, fmt.Errorf("%s: %s: %w: %w", path, op, ErrOpen, err)
	}
	if err := makeRaw(int(tty.Fd())); err != nil {
		return fail("raw mode", err)
	}
	// pty.Open leaves the master in blocking mode (it calls Fd), which
	// rules out deadlines. A non-blocking duplicate is pollable, so its
	// reads and writes take deadlines and Close interrupts them. It is
	// close-on-exec like every descriptor Go opens: a child process (the
	// DUT) must not hold the master, or it outlives a killed poshil with
	// the line in its hands.
	fd, err := unix.FcntlInt(master.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return fail("dup master", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return fail("non-blocking master", err)
	}
	master.Close()
	m := os.NewFile(uintptr(fd), "/dev/ptmx")
	return &PTY{port: newFilePort(m, "pty master of "+path), tty: tty, path: path}, nil
}

// Path is the slave device, e.g. /dev/pts/3, for the other party to Open.
func (t *PTY) Path() string { return t.path }

// Port is the master side. It is the same Port on every call; closing it
// ends the pair for the peer too (it reads EIO), like PTY.Close.
func (t *PTY) Port() Port { return t.port }

// Flush discards bytes written to the master that the peer has not read,
// as a real line would lose them while nobody listens (e.g. across a
// firmware restart).
func (t *PTY) Flush() error {
	if err := unix.IoctlSetInt(int(t.tty.Fd()), unix.TCFLSH, unix.TCIFLUSH); err != nil {
		return fmt.Errorf("%s: flush: %w: %w", t.path, ErrIO, err)
	}
	return nil
}

// Close closes the master (a blocked Read returns ErrClosed) and the slave
// handle kept by PTY. Closing twice is not an error.
func (t *PTY) Close() error {
	err := t.port.Close()
	if terr := t.tty.Close(); terr != nil && err == nil && !isClosedFile(terr) {
		err = fmt.Errorf("%s: close: %w", t.path, terr)
	}
	return err
}

// makeRaw is cfmakeraw(3) on fd.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR |
		unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY | unix.IUCLC
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}
