package dut

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/poshil/poshil/drivers/ecr"
)

// ProcessLink drives a firmware that is a host program, over its stdin and
// its output (stdout and stderr, one stream or merged), per a Profile. It
// owns the pipes it is given: Close and Attach close them.
//
// When the output ends (the program exited) Receive simply has nothing
// more to return: how the program ended is the runner's to report, as with
// a terminal on a serial line. Writing to a program that no longer reads
// fails with ErrInputClosed.
type ProcessLink struct {
	c *core

	mu     sync.Mutex
	stdin  io.WriteCloser
	output io.Reader
	gate   chan struct{} // one write at a time on the current stdin

	// Per sale (NewPerSale): how to start the program, and the one
	// running.
	start StartFunc
	cur   *perSale
}

// NewProcess starts reading output. output should also be an io.Closer
// (an *os.File from os.Pipe, exec.Cmd.StdoutPipe) so Close can end the
// reader at once; otherwise the reader ends when the program's end of the
// pipe closes. tap (nil: none) sees every line masked, as for NewConsole.
// A profile of protocol ecr is ErrProfile.
func NewProcess(stdin io.WriteCloser, output io.Reader, prof *Profile, tap func(dir, line string)) (*ProcessLink, error) {
	if err := usable(prof); err != nil {
		return nil, err
	}
	l := &ProcessLink{c: newCore(prof, fmt.Sprintf("dut %s (process)", prof.Name), tap)}
	l.c.write = l.write
	l.attach(stdin, output)
	return l, nil
}

// Attach hands the link the pipes of a restarted program (after a power
// cut): the old ones are closed, lines still buffered from the old output
// are delivered, and a profile with ready_on_start reports READY again.
// After Close it closes the new pipes and fails with ErrClosed.
func (l *ProcessLink) Attach(stdin io.WriteCloser, output io.Reader) error {
	if l.c.ctx.Err() != nil {
		closePipes(stdin, output)
		return fmt.Errorf("%s: attach: %w", l.c.name, ErrClosed)
	}
	l.mu.Lock()
	oldIn, oldOut := l.stdin, l.output
	l.mu.Unlock()
	closePipes(oldIn, oldOut)
	l.attach(stdin, output)
	return nil
}

func (l *ProcessLink) attach(stdin io.WriteCloser, output io.Reader) {
	l.mu.Lock()
	l.stdin, l.output, l.gate = stdin, output, make(chan struct{}, 1)
	l.mu.Unlock()
	l.c.readyOnStart()
	l.c.stream(output.Read, func(err error) {
		if err == nil || errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
			l.c.tap(TapNote, "the firmware's output ended")
			return
		}
		l.c.tap(TapNote, "the firmware's output failed: "+err.Error())
	})
}

// closePipes closes a program's stdin and, if it can be closed, its output.
func closePipes(stdin io.WriteCloser, output io.Reader) {
	if stdin != nil {
		_ = stdin.Close()
	}
	if c, ok := output.(io.Closer); ok {
		_ = c.Close()
	}
}

// Send writes the line(s) the profile's send template makes of m to the
// program's stdin. It fails with ErrNoTemplate for a kind the profile
// cannot send, ErrTimeout when ctx ends (the program does not read),
// ErrInputClosed when the program no longer reads at all, ErrClosed after
// Close.
//
// Per sale, SALE (and LAST, with last_args) starts the program instead;
// KEY and ABORT go to the running program's stdin.
func (l *ProcessLink) Send(ctx context.Context, m ecr.Message) error {
	if l.start != nil && (m.Kind == ecr.Sale || (m.Kind == ecr.Last && l.c.prof.PerSale.LastArgs != nil)) {
		if l.c.ctx.Err() != nil {
			return fmt.Errorf("%s: send %s: %w", l.c.name, m.Kind, ErrClosed)
		}
		return l.sendPerSale(ctx, m)
	}
	return l.c.send(ctx, m)
}

// Receive returns the next message made from a printed line; it fails
// with ErrTimeout when ctx ends and, once the queue is empty, ErrClosed.
func (l *ProcessLink) Receive(ctx context.Context) (ecr.Message, error) { return l.c.receive(ctx) }

// Close closes the pipes and waits (bounded) for the reader; per sale,
// the running program is killed (see finish).
func (l *ProcessLink) Close() error {
	return l.c.close(func() {
		l.mu.Lock()
		in, out := l.stdin, l.output
		l.mu.Unlock()
		closePipes(in, out)
	})
}

// write writes b to the current stdin; a write the program does not take
// is abandoned when ctx ends (it finishes or fails when the pipe closes).
func (l *ProcessLink) write(ctx context.Context, b []byte) error {
	l.mu.Lock()
	in, gate := l.stdin, l.gate
	l.mu.Unlock()
	if in == nil { // per sale, between programs
		return fmt.Errorf("%w: no program of a sale is running: %w", ErrInputClosed, ecr.ErrNoAck)
	}
	select {
	case gate <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w (%w)", ErrTimeout, cause(ctx))
	case <-l.c.ctx.Done():
		return ErrClosed
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-gate }()
		_, err := in.Write(b)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		if l.c.ctx.Err() != nil {
			return ErrClosed
		}
		return fmt.Errorf("%w: %w: %w", ErrInputClosed, ecr.ErrNoAck, err)
	case <-ctx.Done():
		return fmt.Errorf("%w (%w)", ErrTimeout, cause(ctx))
	case <-l.c.ctx.Done():
		return ErrClosed
	}
}
