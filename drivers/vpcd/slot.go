package vpcd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// writeTimeout bounds one reply to vpcd. vpcd reads every reply at once,
// so only a wedged pcscd can hit it.
const writeTimeout = 5 * time.Second

// SlotAddr is the card-side address of vpcd slot n on host, e.g.
// SlotAddr("127.0.0.1", 1) == "127.0.0.1:35964".
func SlotAddr(host string, n int) string {
	return net.JoinHostPort(host, strconv.Itoa(BasePort+n))
}

// Slot is a card inserted into a vpcd slot. It serves vpcd's requests in a
// goroutine until Remove, the end of Insert's ctx, a failing card, or vpcd
// hanging up; Done is closed then and Err says which.
type Slot struct {
	addr     string
	conn     *net.TCPConn
	cancel   context.CancelFunc // ends the card's ctx
	stop     func() bool        // detaches the Insert ctx watcher
	done     chan struct{}
	attached chan struct{}
	attach   sync.Once

	mu      sync.Mutex
	removed bool
	err     error
}

// Insert plugs card into the vpcd slot at addr (see SlotAddr) and serves it
// until Remove or until ctx ends (which removes the card too).
//
// Only one poshil card can be in a slot on a host: if another holds it,
// Insert waits until it is removed or ctx ends (ErrSlotBusy). A slot on
// another host is only guarded against cards of this host. To keep a slot
// across several cards (and while it is empty), use Reserve. Nothing is
// recorded: APDUs pass through untouched and unlogged.
func Insert(ctx context.Context, addr string, card Card) (*Slot, error) {
	unlock, err := lockSlot(ctx, addr)
	if err != nil {
		return nil, err
	}
	s, err := dial(ctx, addr, card, unlock)
	if err != nil {
		unlock()
		return nil, err
	}
	return s, nil
}

// dial connects card to the slot at addr and serves it in a goroutine;
// out (if not nil) runs once the card is out of the slot.
func dial(ctx context.Context, addr string, card Card, out func()) (*Slot, error) {
	if card == nil {
		return nil, fmt.Errorf("%s: %w: nil card", addr, ErrCardPulled)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", addr, ctx.Err())
		}
		return nil, fmt.Errorf("%s: %w: %v", addr, ErrUnreachable, err)
	}
	conn := c.(*net.TCPConn)
	rc, err := conn.SyscallConn()
	if err == nil {
		err = conn.SetNoDelay(true)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	if out == nil {
		out = func() {}
	}
	cardCtx, cancel := context.WithCancel(ctx)
	s := &Slot{
		addr:     addr,
		conn:     conn,
		cancel:   cancel,
		done:     make(chan struct{}),
		attached: make(chan struct{}),
	}
	s.stop = context.AfterFunc(ctx, func() { _ = s.conn.Close() })
	go s.run(cardCtx, ctx, rc, card, out)
	return s, nil
}

// run serves the card and records why it stopped.
func (s *Slot) run(cardCtx, ctx context.Context, rc syscall.RawConn, card Card, out func()) {
	r := bufio.NewReaderSize(&ackReader{s: s, rc: rc}, 4096)
	w := &deadlineWriter{conn: s.conn}
	err := serve(cardCtx, r, w, card)

	s.stop()
	s.cancel()
	_ = s.conn.Close()
	out()
	s.mu.Lock()
	switch {
	case s.removed:
		s.err = nil
	case ctx.Err() != nil:
		s.err = fmt.Errorf("%s: %w", s.addr, ctx.Err())
	default:
		s.err = fmt.Errorf("%s: %w", s.addr, err)
	}
	s.mu.Unlock()
	close(s.done)
}

// Addr is the slot address the card was inserted into.
func (s *Slot) Addr() string { return s.addr }

// Attached is closed when vpcd first talks to the card, i.e. the reader has
// taken it (it polls about every 400 ms). A PC/SC client that waits for a
// card after Attached sees this card, not a previous one.
func (s *Slot) Attached() <-chan struct{} { return s.attached }

// Done is closed when the card is out of the slot.
func (s *Slot) Done() <-chan struct{} { return s.done }

// Err is nil while the card is in and after Remove; otherwise it says why
// the card left: ctx's error, ErrCardPulled (the card failed a command) or
// ErrReaderClosed (vpcd hung up).
func (s *Slot) Err() error {
	select {
	case <-s.done:
	default:
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Remove pulls the card: it ends the card's ctx, closes the connection
// (vpcd reports the card absent at its next poll) and waits until the
// serving goroutine is gone. A card whose Transmit ignores its ctx delays
// Remove until it returns. Remove is idempotent.
func (s *Slot) Remove() error {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		s.removed = true
	}
	s.mu.Unlock()
	s.cancel()
	_ = s.conn.Close()
	<-s.done
	return nil
}

// ackReader sets TCP_QUICKACK before every read from vpcd and marks the
// slot attached at the first byte.
type ackReader struct {
	s  *Slot
	rc syscall.RawConn
}

// Read sets TCP_QUICKACK, then reads.
func (a *ackReader) Read(p []byte) (int, error) {
	if err := setQuickAck(a.rc); err != nil && !errors.Is(err, net.ErrClosed) {
		return 0, err
	}
	n, err := a.s.conn.Read(p)
	if n > 0 {
		a.s.attach.Do(func() { close(a.s.attached) })
	}
	return n, err
}

// deadlineWriter bounds every write to vpcd.
type deadlineWriter struct{ conn *net.TCPConn }

// Write writes p within writeTimeout.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	if err := w.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return 0, err
	}
	return w.conn.Write(p)
}
