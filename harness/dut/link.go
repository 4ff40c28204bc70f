package dut

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// queueMax bounds the messages waiting for Receive; the oldest is dropped
// (with a tap note) beyond it.
const queueMax = 1024

// closeWait bounds how long Close waits for the reading goroutines.
const closeWait = 2 * time.Second

// core is what both adapters share: rendering and writing requests,
// cutting output into lines, matching them, the message queue, the tap.
type core struct {
	prof  *Profile
	name  string // for errors: "dut shellterm (process)"
	tapFn func(dir, line string)
	tapMu sync.Mutex
	sec   typedKeys
	write func(ctx context.Context, b []byte) error
	// observe, when set, sees every printed line (masked) and the message
	// made of it (matched false: none).
	observe func(line string, m ecr.Message, matched bool)

	ctx    context.Context // ends at Close; reading goroutines watch it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queue   []ecr.Message
	notify  chan struct{} // one token: the queue changed
	down    chan struct{} // closed when the line failed (console)
	downErr error
	downOne sync.Once
	closeMu sync.Once
}

func newCore(prof *Profile, name string, tap func(dir, line string)) *core {
	ctx, cancel := context.WithCancel(context.Background())
	return &core{prof: prof, name: name, tapFn: tap, ctx: ctx, cancel: cancel,
		notify: make(chan struct{}, 1), down: make(chan struct{})}
}

// tap hands one line to the tap, serialized. Callers mask first.
func (c *core) tap(dir, line string) {
	if c.tapFn == nil {
		return
	}
	c.tapMu.Lock()
	defer c.tapMu.Unlock()
	c.tapFn(dir, line)
}

// send renders m and writes its lines, each tapped (masked) before it is
// written.
func (c *core) send(ctx context.Context, m ecr.Message) error {
	if c.ctx.Err() != nil {
		return fmt.Errorf("%s: send %s: %w", c.name, m.Kind, ErrClosed)
	}
	if m.Kind == ecr.Status && c.prof.Send.Status == nil && c.prof.ReadyOnStart {
		// No status command, and the profile says the firmware is ready
		// once started: answer the ping for it.
		c.tap(TapNote, "STATUS: the profile has no STATUS template; READY synthesized (ready_on_start)")
		c.enqueue(ecr.Message{Kind: ecr.Ready, Fields: []ecr.Field{{Key: "synthesized", Value: "1"}}})
		return nil
	}
	lines, err := c.prof.Render(m)
	if err != nil {
		return fmt.Errorf("%s: send %s: %w", c.name, m.Kind, err)
	}
	if keys, ok := m.Get("keys"); ok && m.Kind == ecr.Key {
		c.sec.remember(keys) // before writing: an echo may come back at once
	}
	nl := c.prof.newline()
	for _, l := range lines {
		c.tap(TapOut, maskSent(m.Kind, l))
		if err := c.write(ctx, []byte(l+nl)); err != nil {
			return fmt.Errorf("%s: send %s: %w", c.name, m.Kind, err)
		}
	}
	return nil
}

// receive returns the next queued message; once the queue is empty it
// fails with ErrClosed after Close, ErrLinkDown after a line failure, and
// ErrTimeout when ctx ends.
func (c *core) receive(ctx context.Context) (ecr.Message, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			m := c.queue[0]
			c.queue[0] = ecr.Message{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return m, nil
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-c.down:
			if c.empty() {
				return ecr.Message{}, fmt.Errorf("%s: receive: %w", c.name, c.downErr)
			}
		case <-c.ctx.Done():
			if c.empty() {
				return ecr.Message{}, fmt.Errorf("%s: receive: %w", c.name, ErrClosed)
			}
		case <-ctx.Done():
			return ecr.Message{}, c.timeout(ctx, "receive")
		}
	}
}

func (c *core) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) == 0
}

// timeout is the error of an operation ended by ctx.
func (c *core) timeout(ctx context.Context, op string) error {
	return fmt.Errorf("%s: %s: %w (%w)", c.name, op, ErrTimeout, cause(ctx))
}

// cause is why ctx ended (DeadlineExceeded if it has not quite yet: a
// deadline taken from ctx can fire a hair before ctx's own timer).
func cause(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// enqueue queues m for Receive.
func (c *core) enqueue(m ecr.Message) {
	c.mu.Lock()
	dropped := len(c.queue) >= queueMax
	if dropped {
		c.queue = c.queue[1:]
	}
	c.queue = append(c.queue, m)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	if dropped {
		c.tap(TapNote, fmt.Sprintf("more than %d messages waiting: the oldest was dropped", queueMax))
	}
}

// readyOnStart queues the READY a profile with ready_on_start reports as
// soon as the adapter (or a restarted process) starts.
func (c *core) readyOnStart() {
	if !c.prof.ReadyOnStart {
		return
	}
	c.tap(TapNote, "READY synthesized at start (ready_on_start)")
	c.enqueue(ecr.Message{Kind: ecr.Ready, Fields: []ecr.Field{{Key: "synthesized", Value: "1"}}})
}

// line handles one printed line: PIN echoes and card data masked, tapped,
// matched, queued.
func (c *core) line(l string) {
	l = c.sec.mask(l)
	c.tap(TapIn, maskCardData(l))
	m, ok := c.prof.Match(l)
	if c.observe != nil {
		c.observe(l, m, ok)
	}
	if !ok {
		return
	}
	if u, ok := m.Get(UnmappedField); ok {
		c.tap(TapNote, fmt.Sprintf("%s has no canonical code for the firmware's code %q: %s without code", c.prof, u, m.Kind))
	}
	c.enqueue(m)
}

// setDown marks the line failed.
func (c *core) setDown(err error) {
	c.downOne.Do(func() {
		c.downErr = fmt.Errorf("%w: %w", ErrLinkDown, err)
		close(c.down)
	})
}

// stream reads one output source until it fails or the link closes:
// a pump goroutine does the blocking reads, another cuts lines and, with
// partial_line, takes an idle unterminated line as a line. ended is
// called once with the read error, unless the link was closed.
func (c *core) stream(read func([]byte) (int, error), ended func(error)) {
	chunks := make(chan []byte, 16)
	var readErr error
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		defer close(chunks)
		buf := make([]byte, 4096)
		for {
			n, err := read(buf)
			if n > 0 {
				select {
				case chunks <- append([]byte(nil), buf[:n]...):
				case <-c.ctx.Done():
					return
				}
			}
			if err != nil {
				readErr = err // published by close(chunks)
				return
			}
		}
	}()
	go func() {
		defer c.wg.Done()
		var sp splitter
		idle := time.NewTimer(time.Hour)
		idle.Stop()
		defer idle.Stop()
		for {
			var fire <-chan time.Time
			if c.prof.PartialLine > 0 && sp.pending() {
				fire = idle.C
			}
			select {
			case b, ok := <-chunks:
				if !ok {
					if l, ok := sp.rest(); ok {
						c.line(l)
					}
					if c.ctx.Err() == nil {
						ended(readErr)
					}
					return
				}
				lines, cut := sp.feed(b)
				for _, l := range lines {
					c.line(l)
				}
				if cut > 0 {
					c.tap(TapNote, fmt.Sprintf("a line longer than %d bytes was cut", maxLine))
				}
				if c.prof.PartialLine > 0 {
					idle.Reset(c.prof.PartialLine)
				}
			case <-fire:
				if l, ok := sp.rest(); ok {
					c.line(l)
				}
			case <-c.ctx.Done():
				return
			}
		}
	}()
}

// close ends the link: pending and later calls fail with ErrClosed; then
// release (closing the sources) runs and the reading goroutines are waited
// for, at most closeWait.
func (c *core) close(release func()) error {
	c.closeMu.Do(func() {
		c.cancel()
		if release != nil {
			release()
		}
	})
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(closeWait):
		return fmt.Errorf("%s: close: %w (a read is still blocked)", c.name, ErrTimeout)
	}
}
