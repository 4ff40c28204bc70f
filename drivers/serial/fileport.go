package serial

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// filePort is a Port over a pollable *os.File (the non-blocking pty
// master): ctx deadlines become file deadlines, and a ctx cancel moves the
// deadline into the past so the blocked call returns at once.
type filePort struct {
	name         string
	f            *os.File
	rgate, wgate gate
	closed       atomic.Bool
	once         sync.Once
	closeErr     error
}

func newFilePort(f *os.File, name string) *filePort {
	return &filePort{name: name, f: f, rgate: newGate(), wgate: newGate()}
}

func (p *filePort) Name() string { return p.name }

// past is a deadline that has expired.
var past = time.Unix(1, 0)

// Read implements Port.
func (p *filePort) Read(ctx context.Context, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if p.closed.Load() {
		return 0, closedErr(p.name, "read")
	}
	if p.rgate.lock(ctx) != nil {
		return 0, timeoutErr(ctx, p.name, "read")
	}
	defer p.rgate.unlock()
	for {
		n, err := p.withDeadline(ctx, p.f.SetReadDeadline, func() (int, error) { return p.f.Read(b) })
		if n > 0 {
			return n, nil
		}
		if err != nil {
			return 0, p.mapErr(ctx, "read", err)
		}
	}
}

// Write implements Port.
func (p *filePort) Write(ctx context.Context, b []byte) (int, error) {
	if p.closed.Load() {
		return 0, closedErr(p.name, "write")
	}
	if p.wgate.lock(ctx) != nil {
		return 0, timeoutErr(ctx, p.name, "write")
	}
	defer p.wgate.unlock()
	n, err := p.withDeadline(ctx, p.f.SetWriteDeadline, func() (int, error) { return p.f.Write(b) })
	if err != nil {
		return n, p.mapErr(ctx, "write", err)
	}
	return n, nil
}

// withDeadline runs io with the file deadline set from ctx and pulled into
// the past if ctx is cancelled meanwhile.
func (p *filePort) withDeadline(ctx context.Context, set func(time.Time) error, io func() (int, error)) (int, error) {
	dl, _ := ctx.Deadline() // zero: none
	if err := set(dl); err != nil {
		return 0, err
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		set(past)
		close(fired)
	})
	n, err := io()
	if !stop() {
		<-fired // the next call sets its own deadline after this one
	}
	return n, err
}

func (p *filePort) mapErr(ctx context.Context, op string, err error) error {
	switch {
	case p.closed.Load() || isClosedFile(err):
		return closedErr(p.name, op)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return timeoutErr(ctx, p.name, op)
	}
	return ioErr(p.name, op, err)
}

// Close implements Port; a blocked Read or Write returns ErrClosed.
func (p *filePort) Close() error {
	p.once.Do(func() {
		p.closed.Store(true)
		if err := p.f.Close(); err != nil {
			p.closeErr = fmt.Errorf("%s: close: %w", p.name, err)
		}
	})
	return p.closeErr
}

func isClosedFile(err error) bool { return errors.Is(err, os.ErrClosed) }
