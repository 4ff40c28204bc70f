// Package lineproxy is a fault proxy on the ECR serial line: it sits
// between the harness's end of the line and the DUT's, copies bytes both
// ways, and on request cuts the line, flips bits or delays bytes, as a
// pulled cable, electrical noise or a slow converter would. It also
// watches the byte stream so faults can fire at an exact byte count or at
// an ECR message, before the next byte goes on.
//
// On the emulated bench the line is two pseudo-terminal pairs (see
// NewEmulated); on a real bench the proxy joins two serial ports (two USB
// adapters back to back with the DUT's cable on one of them).
//
// It does not speak the ECR protocol (no ACK, no retransmission: package
// ecr does) and does not decide when a fault fires (package harness/fault
// does); it only recognises ECR frames to report them.
package lineproxy

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// Errors callers can test with errors.Is.
var (
	// ErrPort reports a port that failed under the proxy (device gone,
	// EIO); the error also wraps the port's error and names the port.
	ErrPort = errors.New("lineproxy: port failed")
	// ErrStarted reports a second Start.
	ErrStarted = errors.New("lineproxy: already started")
	// ErrClosed reports Start after Close.
	ErrClosed = errors.New("lineproxy: closed")
	// ErrConfig reports an impairment that cannot be applied (a bit error
	// rate outside 0..1, a negative delay, no direction).
	ErrConfig = errors.New("lineproxy: invalid setting")
	// ErrHook reports a panic recovered in a hook (OnFrame, a byte
	// trigger) or in the proxy's own copying; see Err.
	ErrHook = errors.New("lineproxy: hook panicked")
)

// Options tune a Proxy. Zero fields take the defaults.
type Options struct {
	// WriteTimeout bounds each write to a receiver; bytes it does not
	// take in time are dropped and counted as Lost, as a real line loses
	// bytes nobody reads (default 2s).
	WriteTimeout time.Duration
	// FrameHold is the longest an unfinished ECR frame is held back so
	// OnFrame can see it whole before it passes; after that its bytes
	// pass unreported (default 1s, the ECR inter-frame timeout).
	FrameHold time.Duration
}

func (o Options) withDefaults() Options {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 2 * time.Second
	}
	if o.FrameHold <= 0 {
		o.FrameHold = time.Second
	}
	return o
}

// Counters are one direction's byte counts since Start.
type Counters struct {
	Read    int // bytes read from the sender
	Written int // bytes written to the receiver
	Cut     int // bytes dropped while the line was cut
	Lost    int // bytes dropped because the receiver did not take them in time (or Flush)
	Flipped int // bits flipped by bit errors
}

// Proxy copies bytes between the harness's port and the DUT's port, both
// ways, applying the impairments in force. Create it with New; it is safe
// for concurrent use. The proxy does not own the ports: Close stops it
// but leaves them open.
type Proxy struct {
	harness, dut serial.Port
	opt          Options

	mu       sync.Mutex // guards the fields below
	layers   []*layer   // impairments in force, oldest first
	triggers []*trigger
	onFrame  func(Frame)
	counters [2]Counters
	total    int // bytes through the byte stage, both directions
	gen      int // bumped by Flush: queued chunks of older generations are dropped
	err      error
	failed   chan struct{} // closed on the first port failure
	started  bool
	closed   bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	// byteMu orders the byte stage of both directions, so byte counts
	// and hook calls have one total order. It is taken before mu.
	byteMu sync.Mutex
}

// New returns a proxy between harness (the port the harness's ECR side
// reaches) and dut (the port the DUT's line reaches). It copies nothing
// until Start.
func New(harness, dut serial.Port, opt Options) *Proxy {
	return &Proxy{harness: harness, dut: dut, opt: opt.withDefaults(), failed: make(chan struct{})}
}

// Start copies bytes both ways until Close or until ctx ends.
func (p *Proxy) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return fmt.Errorf("%w: start %s <-> %s", ErrClosed, p.harness.Name(), p.dut.Name())
	case p.started:
		return fmt.Errorf("%w: %s <-> %s", ErrStarted, p.harness.Name(), p.dut.Name())
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.started = true
	for _, d := range []Direction{ToDUT, FromDUT} {
		src, dst := p.harness, p.dut
		if d == FromDUT {
			src, dst = p.dut, p.harness
		}
		q := make(chan chunk, 64)
		p.wg.Add(2)
		go p.read(ctx, d, src, q)
		go p.write(ctx, d, dst, q)
	}
	return nil
}

// Close stops copying and waits for the proxy's goroutines; bytes queued
// but not yet written are lost. The ports stay open. Close is safe to
// call more than once and before Start; hooks must not call it.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	p.wg.Wait()
	return nil
}

// Err returns the first failure, or nil: a port that failed (wrapping
// ErrPort; the proxy then stops copying in that direction), or a panic
// recovered in a hook or in the copying (wrapping ErrHook, with the
// stack; a hook's frame or bytes still pass). Either closes Failed.
func (p *Proxy) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Failed is closed when a port fails under the proxy (see Err), so a
// runner can turn a dead line into a bench error at once.
func (p *Proxy) Failed() <-chan struct{} { return p.failed }

// Counters returns the byte counts of one direction (ToDUT or FromDUT).
func (p *Proxy) Counters(d Direction) Counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counters[d.index()]
}

// Flush drops the bytes the proxy holds and has queued but not yet
// written (counted as Lost), as a line loses what is in flight across a
// restart. Pair it with serial.PTY.Flush on the emulated bench.
func (p *Proxy) Flush() {
	p.mu.Lock()
	p.gen++
	p.mu.Unlock()
}

// OnFrame sets the function called for every complete, valid ECR frame,
// in either direction, synchronously before the frame's first byte goes
// on (the frame is held until complete): a fault fn injects therefore
// acts on this frame. The frame's direction waits while fn runs, so fn
// must not wait for traffic on the line, nor call Close; the two
// directions may call fn at the same time. nil removes the hook.
func (p *Proxy) OnFrame(fn func(Frame)) {
	p.mu.Lock()
	p.onFrame = fn
	p.mu.Unlock()
}

// fail records the first port failure.
func (p *Proxy) fail(port serial.Port, op string, err error) {
	p.failure(fmt.Errorf("%w: %s: %s: %w", ErrPort, port.Name(), op, err))
}

// failure records the first failure and closes failed.
func (p *Proxy) failure(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
		close(p.failed)
	}
}

// recovered records a panic value v recovered in where.
func (p *Proxy) recovered(where string, v any) {
	p.failure(fmt.Errorf("%w: %s: %v\n%s", ErrHook, where, v, debug.Stack()))
}

// callHook runs a hook, recovering a panic (see Err).
func (p *Proxy) callHook(where string, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			p.recovered(where, v)
		}
	}()
	fn()
}

// chunk is bytes on their way to the receiver, not to be written before
// due.
type chunk struct {
	b   []byte
	due time.Time
	gen int
}

// read is one direction's reader: it reads the sender, holds ECR frames
// until complete, runs the hooks and impairments and queues the bytes for
// the writer.
func (p *Proxy) read(ctx context.Context, d Direction, src serial.Port, q chan<- chunk) {
	defer p.wg.Done()
	defer func() {
		if v := recover(); v != nil {
			p.recovered("reading "+d.String(), v)
		}
	}()
	var fr framer
	var lastDue time.Time
	buf := make([]byte, 4096)
	emit := func(b []byte, delay time.Duration) bool {
		p.mu.Lock()
		gen := p.gen
		p.mu.Unlock()
		due := time.Now().Add(delay)
		if due.Before(lastDue) {
			due = lastDue // keep the byte order whatever the delay
		}
		lastDue = due
		select {
		case q <- chunk{b: b, due: due, gen: gen}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	process := func(segs []segment) bool {
		for _, s := range segs {
			if !p.pass(d, s, emit) {
				return false
			}
		}
		return true
	}
	for {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if since, ok := fr.holding(); ok {
			rctx, cancel = context.WithDeadline(ctx, since.Add(p.opt.FrameHold))
		}
		n, err := src.Read(rctx, buf)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && errors.Is(err, serial.ErrTimeout):
			// The frame held back did not finish in time: let it pass.
			if !process(fr.flush()) {
				return
			}
			continue
		case err != nil:
			p.fail(src, "read", err)
			return
		}
		p.mu.Lock()
		p.counters[d.index()].Read += n
		p.mu.Unlock()
		if !process(fr.feed(buf[:n], time.Now())) {
			return
		}
	}
}

// write is one direction's writer: it writes queued chunks when due.
func (p *Proxy) write(ctx context.Context, d Direction, dst serial.Port, q <-chan chunk) {
	defer p.wg.Done()
	defer func() {
		if v := recover(); v != nil {
			p.recovered("writing "+d.String(), v)
		}
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		var c chunk
		select {
		case c = <-q:
		case <-ctx.Done():
			return
		}
		if wait := time.Until(c.due); wait > 0 {
			t.Reset(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		p.mu.Lock()
		stale := c.gen != p.gen
		if stale {
			p.counters[d.index()].Lost += len(c.b)
		}
		p.mu.Unlock()
		if stale {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, p.opt.WriteTimeout)
		n, err := dst.Write(wctx, c.b)
		cancel()
		p.mu.Lock()
		p.counters[d.index()].Written += n
		if err != nil {
			p.counters[d.index()].Lost += len(c.b) - n
		}
		p.mu.Unlock()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && errors.Is(err, serial.ErrTimeout):
			// The receiver is not reading: the bytes are lost, as on a wire.
		case err != nil:
			p.fail(dst, "write", err)
			return
		}
	}
}
