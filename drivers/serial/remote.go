package serial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// URL schemes of remote serial ports (a port server such as Debian's
// ser2net exports a bench's UART over TCP).
const (
	// SchemeRFC2217 is a telnet connection with the COM-PORT-OPTION (RFC
	// 2217): line settings and modem lines travel with the bytes.
	SchemeRFC2217 = "rfc2217://"
	// SchemeTCP is a raw TCP connection: bytes only, the line settings
	// are the server's.
	SchemeTCP = "tcp://"
)

// IsRemote reports whether addr names a remote port (rfc2217:// or
// tcp://) rather than a device path.
func IsRemote(addr string) bool {
	return strings.HasPrefix(addr, SchemeRFC2217) || strings.HasPrefix(addr, SchemeTCP)
}

// OpenAddr opens a serial line by its address: rfc2217://host:port and
// tcp://host:port connect to a port server within ctx (the connection and,
// for RFC 2217, the negotiation and opt's line settings); anything else is
// a device path for Open. The Port behaves the same whichever it is; an
// RFC 2217 port also implements ModemLines.
func OpenAddr(ctx context.Context, addr string, opt Options) (Port, error) {
	switch {
	case strings.HasPrefix(addr, SchemeRFC2217):
		return dialRFC2217(ctx, addr, opt)
	case strings.HasPrefix(addr, SchemeTCP):
		return dialTCP(ctx, addr)
	}
	return Open(addr, opt)
}

// hostPort checks and returns the host:port after the scheme.
func hostPort(addr, scheme string) (string, error) {
	hp := strings.TrimPrefix(addr, scheme)
	if _, _, err := net.SplitHostPort(hp); err != nil || strings.ContainsAny(hp, "/?#") {
		return "", fmt.Errorf("%s: %w: want %shost:port", addr, ErrOpen, scheme)
	}
	return hp, nil
}

func dial(ctx context.Context, addr, scheme string) (net.Conn, error) {
	hp, err := hostPort(addr, scheme)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", hp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", addr, ErrOpen, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		_ = tc.SetKeepAlive(true)
		_ = tc.SetKeepAlivePeriod(10 * time.Second)
	}
	return c, nil
}

// dialTCP opens a raw TCP port.
func dialTCP(ctx context.Context, addr string) (Port, error) {
	c, err := dial(ctx, addr, SchemeTCP)
	if err != nil {
		return nil, err
	}
	p := newNetPort(addr, c, nil)
	go p.receive()
	return p, nil
}

// netPort is a Port over a TCP connection to a port server. One goroutine
// receives (and, for RFC 2217, decodes telnet) into a buffer that Read
// takes from, so a Read bounded by ctx never loses bytes; writes go out
// under a gate, escaped for telnet when tn is set.
type netPort struct {
	name string
	conn net.Conn
	tn   *telnet // nil: raw TCP

	mu     sync.Mutex
	buf    []byte
	rerr   error         // why receiving stopped
	more   chan struct{} // signalled (cap 1) when buf grows or rerr is set
	wgate  gate
	closed atomic.Bool
	done   chan struct{} // closed by Close
	once   sync.Once
}

func newNetPort(name string, c net.Conn, tn *telnet) *netPort {
	return &netPort{name: name, conn: c, tn: tn, more: make(chan struct{}, 1), wgate: newGate(), done: make(chan struct{})}
}

func (p *netPort) Name() string { return p.name }

// receive reads the connection until it fails or closes.
func (p *netPort) receive() {
	b := make([]byte, 4096)
	for {
		n, err := p.conn.Read(b)
		if n > 0 {
			data := b[:n]
			if p.tn != nil {
				data = p.tn.decode(data)
			}
			if len(data) > 0 {
				p.mu.Lock()
				p.buf = append(p.buf, data...)
				p.mu.Unlock()
				p.signal()
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the port server closed the connection")
			}
			p.mu.Lock()
			p.rerr = err
			p.mu.Unlock()
			p.signal()
			if p.tn != nil {
				p.tn.stop()
			}
			return
		}
	}
}

func (p *netPort) signal() {
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// Read implements Port.
func (p *netPort) Read(ctx context.Context, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if p.closed.Load() {
			return 0, closedErr(p.name, "read")
		}
		p.mu.Lock()
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		rerr := p.rerr
		p.mu.Unlock()
		if n > 0 {
			return n, nil
		}
		if rerr != nil {
			return 0, ioErr(p.name, "read", rerr)
		}
		select {
		case <-p.more:
		case <-ctx.Done():
			return 0, timeoutErr(ctx, p.name, "read")
		case <-p.done:
			return 0, closedErr(p.name, "read")
		}
	}
}

// Write implements Port. On an RFC 2217 port a 0xFF byte goes out
// doubled (telnet IAC), and the count is of p's bytes.
func (p *netPort) Write(ctx context.Context, b []byte) (int, error) {
	if p.closed.Load() {
		return 0, closedErr(p.name, "write")
	}
	if len(b) == 0 {
		return 0, nil
	}
	out := b
	if p.tn != nil {
		out = escapeIAC(b)
	}
	n, err := p.send(ctx, out)
	if p.tn != nil {
		n = unescapedLen(out[:n])
	}
	return n, err
}

// send writes raw bytes (data or telnet commands) under the write gate,
// bounded by ctx.
func (p *netPort) send(ctx context.Context, raw []byte) (int, error) {
	if p.wgate.lock(ctx) != nil {
		return 0, timeoutErr(ctx, p.name, "write")
	}
	defer p.wgate.unlock()
	dl, _ := ctx.Deadline()
	if err := p.conn.SetWriteDeadline(dl); err != nil {
		return 0, p.mapErr(ctx, "write", err)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = p.conn.SetWriteDeadline(past)
		close(fired)
	})
	n, err := p.conn.Write(raw)
	if !stop() {
		<-fired
	}
	if err != nil {
		return n, p.mapErr(ctx, "write", err)
	}
	return n, nil
}

func (p *netPort) mapErr(ctx context.Context, op string, err error) error {
	switch {
	case p.closed.Load() || errors.Is(err, net.ErrClosed):
		return closedErr(p.name, op)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return timeoutErr(ctx, p.name, op)
	}
	return ioErr(p.name, op, err)
}

// Close implements Port: the connection closes (the port server frees the
// UART for the next client); a blocked Read returns ErrClosed at once.
func (p *netPort) Close() error {
	var err error
	p.once.Do(func() {
		p.closed.Store(true)
		close(p.done)
		if p.tn != nil {
			p.tn.stop()
		}
		if cerr := p.conn.Close(); cerr != nil {
			err = fmt.Errorf("%s: close: %w", p.name, cerr)
		}
	})
	return err
}
