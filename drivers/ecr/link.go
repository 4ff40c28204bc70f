package ecr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// Errors of a Link, for errors.Is.
var (
	// ErrNoAck: a frame was sent 1+Retries times without an ACK.
	ErrNoAck = errors.New("ecr: no ACK")
	// ErrLinkDown: the port failed under the link (closed, EIO, device
	// gone); the error also wraps the port's error.
	ErrLinkDown = errors.New("ecr: link down")
	// ErrLinkClosed: Close was called on the link.
	ErrLinkClosed = errors.New("ecr: link closed")
	// ErrTimeout: ctx ended first; the error also wraps ctx.Err().
	ErrTimeout = errors.New("ecr: timeout")
)

// SeqField is the field a Link adds to every frame it sends: one digit,
// new for each Send and kept by retransmissions, so the receiver can tell a
// retransmitted frame from the same message sent again. Receive strips it;
// a seq field given to Send is replaced.
const SeqField = "seq"

// queueMax bounds the messages waiting for Receive; older ones are dropped
// (TapOverflow) beyond it.
const queueMax = 1024

// LinkOptions tune a Link. Zero fields take the defaults.
type LinkOptions struct {
	// AckTimeout is how long Send waits for ACK/NAK before sending again
	// (default 500ms). It also bounds writing an ACK or NAK.
	AckTimeout time.Duration
	// Retries is how many times Send retransmits after NAK or timeout
	// (default 3; negative means never).
	Retries int
	// InterFrameTimeout drops a received frame not finished this long
	// after its STX (default 1s).
	InterFrameTimeout time.Duration
	// DuplicateWindow is how long after a frame an identical frame counts
	// as a retransmission (default AckTimeout*(Retries+1)).
	DuplicateWindow time.Duration
	// Tap, if set, sees every byte-level event, redacted (see Redact).
	// Calls are serialized; Tap must return quickly.
	Tap func(TapEvent)
}

func (o LinkOptions) withDefaults() LinkOptions {
	if o.AckTimeout <= 0 {
		o.AckTimeout = 500 * time.Millisecond
	}
	switch {
	case o.Retries == 0:
		o.Retries = 3
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.InterFrameTimeout <= 0 {
		o.InterFrameTimeout = time.Second
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = o.AckTimeout * time.Duration(o.Retries+1)
	}
	return o
}

// Link runs the ECR protocol over a serial.Port: one reader goroutine
// splits the received bytes into ACK, NAK and frames, ACKs good frames,
// NAKs damaged ones and queues messages for Receive; Send transmits and
// waits for the peer's ACK. Send and Receive may be used from different
// goroutines at the same time; concurrent Sends are serialized.
type Link struct {
	port serial.Port
	opt  LinkOptions

	ctx    context.Context // ends on Close
	cancel context.CancelFunc
	once   sync.Once

	wgate chan struct{} // serializes writes: frames, ACK, NAK
	sgate chan struct{} // serializes Send
	seq   int           // last seq digit sent; guarded by sgate
	acks  chan byte     // ACK/NAK from the reader to Send

	mu     sync.Mutex
	queue  []Message
	notify chan struct{} // poked when queue grows

	down    chan struct{} // closed when the reader has stopped
	downErr error         // why (ErrLinkClosed or ErrLinkDown); set before down is closed

	tapMu sync.Mutex

	// restarted: the peer was started again (PeerRestarted); the reader
	// forgets the last frame before it judges the next one.
	restarted atomic.Bool

	// Reader goroutine only.
	sp       splitter
	lastRaw  []byte
	lastTime time.Time
}

// NewLink starts a Link on p. The Link does not own p: Close stops the
// reader but leaves p open, so the caller closes p after the Link.
func NewLink(p serial.Port, opt LinkOptions) *Link {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Link{
		port:   p,
		opt:    opt.withDefaults(),
		ctx:    ctx,
		cancel: cancel,
		wgate:  make(chan struct{}, 1),
		sgate:  make(chan struct{}, 1),
		acks:   make(chan byte, 16),
		notify: make(chan struct{}, 1),
		down:   make(chan struct{}),
	}
	go l.run()
	return l
}

// Name names the port under the link, for error messages.
func (l *Link) Name() string { return l.port.Name() }

// Send transmits m (with a fresh SeqField) and waits for the peer's ACK. On
// NAK or after AckTimeout it sends the same frame again, up to Retries
// times, then fails with ErrNoAck. It fails at once with ErrSyntax or
// ErrTooLong if m cannot be encoded, with ErrTimeout if ctx ends, and with
// ErrLinkDown or ErrLinkClosed if the link stops.
func (l *Link) Send(ctx context.Context, m Message) error {
	if err := lock(ctx, l.sgate); err != nil {
		return l.ctxErr(ctx, "send "+string(m.Kind))
	}
	defer unlock(l.sgate)
	seq := (l.seq + 1) % 10
	wire := m.With(SeqField, strconv.Itoa(seq))
	raw, err := Encode(wire)
	if err != nil {
		return fmt.Errorf("ecr %s: send: %w", l.Name(), err)
	}
	l.seq = seq
	last := "timeout"
	for attempt := 0; attempt <= l.opt.Retries; attempt++ {
		for len(l.acks) > 0 { // stale answers belong to nobody
			<-l.acks
		}
		kind := TapFrame
		if attempt > 0 {
			kind = TapRetransmit
		}
		// Tapped before writing, so the peer's answer never precedes it in
		// a transcript. A failed write is reported by Send's error.
		l.tap(TapEvent{Dir: Out, Time: time.Now(), Kind: kind, Raw: raw, Msg: &wire})
		if err := l.write(ctx, raw); err != nil {
			return fmt.Errorf("ecr %s: send %s: %w", l.Name(), m.Kind, err)
		}
		timer := time.NewTimer(l.opt.AckTimeout)
		select {
		case b := <-l.acks:
			timer.Stop()
			if b == ACK {
				return nil
			}
			last = "NAK"
		case <-timer.C:
			last = "timeout"
		case <-ctx.Done():
			timer.Stop()
			return l.ctxErr(ctx, "send "+string(m.Kind))
		case <-l.down:
			timer.Stop()
			return fmt.Errorf("ecr %s: send %s: %w", l.Name(), m.Kind, l.downErr)
		}
	}
	return fmt.Errorf("ecr %s: send %s: %w after %d transmissions (last: %s)",
		l.Name(), m.Kind, ErrNoAck, l.opt.Retries+1, last)
}

// Receive returns the next message from the peer (without SeqField). It
// fails with ErrTimeout when ctx ends, and, once the queue is empty, with
// the reason the link stopped (ErrLinkDown or ErrLinkClosed).
func (l *Link) Receive(ctx context.Context) (Message, error) {
	for {
		l.mu.Lock()
		if len(l.queue) > 0 {
			m := l.queue[0]
			l.queue[0] = Message{}
			l.queue = l.queue[1:]
			l.mu.Unlock()
			return m, nil
		}
		l.mu.Unlock()
		select {
		case <-l.notify:
		case <-ctx.Done():
			return Message{}, l.ctxErr(ctx, "receive")
		case <-l.down:
			l.mu.Lock()
			n := len(l.queue)
			l.mu.Unlock()
			if n == 0 {
				return Message{}, fmt.Errorf("ecr %s: receive: %w", l.Name(), l.downErr)
			}
		}
	}
}

// Close stops the reader goroutine and waits for it (bounded by how fast
// the port's Read honours cancellation). It does not close the port.
// Pending and later Send and Receive calls fail with ErrLinkClosed.
func (l *Link) Close() error {
	l.once.Do(l.cancel)
	select {
	case <-l.down:
		return nil
	case <-time.After(2 * time.Second):
		return fmt.Errorf("ecr %s: close: %w (reader still blocked in Read)", l.Name(), ErrTimeout)
	}
}

// write sends raw under the write gate.
func (l *Link) write(ctx context.Context, raw []byte) error {
	if err := lock(ctx, l.wgate); err != nil {
		return fmt.Errorf("%w (%w)", ErrTimeout, ctx.Err())
	}
	defer unlock(l.wgate)
	select {
	case <-l.down:
		return l.downErr
	default:
	}
	if _, err := l.port.Write(ctx, raw); err != nil {
		if errors.Is(err, serial.ErrTimeout) {
			return fmt.Errorf("%w: %w", ErrTimeout, err)
		}
		return fmt.Errorf("%w: %w", ErrLinkDown, err)
	}
	return nil
}

func (l *Link) ctxErr(ctx context.Context, op string) error {
	return fmt.Errorf("ecr %s: %s: %w (%w)", l.Name(), op, ErrTimeout, ctx.Err())
}

// tap hands a redacted copy of ev to the Tap, if any.
func (l *Link) tap(ev TapEvent) {
	if l.opt.Tap == nil {
		return
	}
	ev.Raw = append([]byte(nil), ev.Raw...)
	if ev.Msg != nil {
		m := *ev.Msg
		m.Fields = append([]Field(nil), m.Fields...)
		ev.Msg = &m
	}
	ev = Redact(ev)
	l.tapMu.Lock()
	defer l.tapMu.Unlock()
	l.opt.Tap(ev)
}

func lock(ctx context.Context, g chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func unlock(g chan struct{}) { <-g }

// PeerRestarted says the peer was started again (powered on after a cut,
// restarted after a crash): the frames it sends from now on are new even
// when one repeats the last frame byte for byte, as the first READY of a
// terminal that numbers its frames from 1 at every boot does. Call it
// before the peer starts; without it, a repeat inside DuplicateWindow
// would be taken for a retransmission and dropped.
func (l *Link) PeerRestarted() { l.restarted.Store(true) }

// sameFrame reports whether raw repeats the last delivered frame recently.
func (l *Link) sameFrame(raw []byte, now time.Time) bool {
	return l.lastRaw != nil && bytes.Equal(raw, l.lastRaw) && now.Sub(l.lastTime) < l.opt.DuplicateWindow
}
