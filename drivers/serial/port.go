package serial

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bugserial "go.bug.st/serial"
)

// pollInterval bounds one blocking read of the library, so a cancelled ctx
// or a Close is noticed within about this long.
const pollInterval = 25 * time.Millisecond

// writeChunk is the most bytes handed to one write(2): a write stuck on a
// full line then holds back at most this much after ctx ends.
const writeChunk = 256

// closeWait is how long Close waits for a write in progress to stop.
const closeWait = 100 * time.Millisecond

// Open opens a serial device (a UART, a USB adapter, or the slave side of a
// pseudo-terminal such as PTY.Path) with go.bug.st/serial and opt's line
// settings. It does not touch DTR/RTS: use the ModemLines capability.
func Open(path string, opt Options) (Port, error) {
	mode, err := opt.mode()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p, err := bugserial.Open(path, mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrOpen, err)
	}
	return &realPort{name: path, p: p, rgate: newGate(), wgate: newGate(), done: make(chan struct{})}, nil
}

// realPort is a Port over go.bug.st/serial. Reads and writes are each
// serialized; a read and a write may run at the same time.
type realPort struct {
	name         string
	p            bugserial.Port
	rgate, wgate gate
	closed       atomic.Bool
	done         chan struct{} // closed by Close
	once         sync.Once
	closeErr     error
}

func (s *realPort) Name() string { return s.name }

// Read implements Port. The library's read timeout returns (0, nil); here it
// only bounds one poll, repeated until data, ctx end or Close.
func (s *realPort) Read(ctx context.Context, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if s.closed.Load() {
		return 0, closedErr(s.name, "read")
	}
	if s.rgate.lock(ctx) != nil {
		return 0, timeoutErr(ctx, s.name, "read")
	}
	defer s.rgate.unlock()
	for {
		if s.closed.Load() {
			return 0, closedErr(s.name, "read")
		}
		if ctx.Err() != nil {
			return 0, timeoutErr(ctx, s.name, "read")
		}
		wait := pollInterval
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, max(time.Until(dl), time.Millisecond))
		}
		if err := s.p.SetReadTimeout(wait); err != nil {
			return 0, ioErr(s.name, "read", err)
		}
		n, err := s.p.Read(b)
		if n > 0 {
			return n, nil
		}
		if err != nil {
			if s.closed.Load() {
				return 0, closedErr(s.name, "read")
			}
			return 0, ioErr(s.name, "read", err)
		}
	}
}

// Write implements Port. The bytes go out from a helper goroutine in chunks;
// if ctx ends first, Write returns the count written so far and an
// ErrTimeout error, and the unsent rest is dropped. A chunk already inside
// the kernel finishes (or fails) on its own before the next Write starts.
func (s *realPort) Write(ctx context.Context, b []byte) (int, error) {
	if s.closed.Load() {
		return 0, closedErr(s.name, "write")
	}
	if len(b) == 0 {
		return 0, nil
	}
	if s.wgate.lock(ctx) != nil {
		return 0, timeoutErr(ctx, s.name, "write")
	}
	buf := append([]byte(nil), b...)
	var written atomic.Int64
	var stop atomic.Bool
	done := make(chan error, 1)
	go func() {
		defer s.wgate.unlock()
		for off := 0; off < len(buf); {
			if stop.Load() || s.closed.Load() {
				done <- nil
				return
			}
			n, err := s.p.Write(buf[off:min(off+writeChunk, len(buf))])
			off += n
			written.Add(int64(n))
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		n := int(written.Load())
		if err != nil {
			if s.closed.Load() {
				return n, closedErr(s.name, "write")
			}
			return n, ioErr(s.name, "write", err)
		}
		if n < len(b) {
			return n, closedErr(s.name, "write")
		}
		return n, nil
	case <-ctx.Done():
		stop.Store(true)
		return int(written.Load()), timeoutErr(ctx, s.name, "write")
	case <-s.done:
		stop.Store(true)
		return int(written.Load()), closedErr(s.name, "write")
	}
}

// Close implements Port. A blocked Read returns ErrClosed within
// pollInterval; closing twice is not an error.
func (s *realPort) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		close(s.done)
		// Let a writer between chunks notice; one stuck inside write(2)
		// holds its own reference to the file and is not waited for.
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		if s.wgate.lock(ctx) == nil {
			s.wgate.unlock()
		}
		cancel()
		if err := s.p.Close(); err != nil {
			s.closeErr = fmt.Errorf("%s: close: %w", s.name, err)
		}
	})
	return s.closeErr
}

// modemErr maps the library's modem-line failure; a pty answers ENOTTY.
func (s *realPort) modemErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return closedErr(s.name, op)
	}
	var pe *bugserial.PortError
	if errors.As(err, &pe) && pe.Code() == bugserial.FunctionNotImplemented || isNotTTY(err) {
		return fmt.Errorf("%s: %s: %w (not a real UART?): %w", s.name, op, ErrNotSupported, err)
	}
	return ioErr(s.name, op, err)
}
