// Package netproxy is a TCP fault proxy between a terminal (the DUT) and
// its acquirer host: the terminal connects to the proxy, which connects
// on to the host and copies bytes both ways. On request it refuses
// connections, drops, delays or stalls data, cuts a connection inside a
// message or resets every connection, as a broken network does. It
// follows the 2-byte length framing of the ISO 8583 stream and reports
// each message's MTI before the message passes, so a fault can fire on a
// message and act on it.
//
// With Options.Front it stands for a TLS host (package fixtures/hosttls):
// it ends the terminal's TLS, reaches the host over TLS itself
// (Options.Back), and every fault acts on the ISO 8583 stream inside.
//
// It does not decode ISO 8583 (package fixtures/acquirer does) and does
// not decide when a fault fires (package harness/fault does).
package netproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/poshil/poshil/fixtures/hosttls"
)

// Errors callers can test with errors.Is.
var (
	// ErrStarted reports a second Start.
	ErrStarted = errors.New("netproxy: already started")
	// ErrClosed reports Start after Close.
	ErrClosed = errors.New("netproxy: closed")
	// ErrListen reports that the proxy could not listen, at Start or when
	// a Refuse is restored (another process took the port meanwhile).
	ErrListen = errors.New("netproxy: cannot listen")
	// ErrConfig reports a fault setting that cannot be applied (a
	// negative delay, no direction).
	ErrConfig = errors.New("netproxy: invalid setting")
	// ErrHook reports a panic recovered in the OnMessage hook or in the
	// proxy's own copying (see Err).
	ErrHook = errors.New("netproxy: hook panicked")
)

// Options tune a Proxy. Zero fields take the defaults.
type Options struct {
	// DialTimeout bounds connecting to the host for each accepted
	// connection (default 2s); if the host cannot be reached the
	// terminal's connection is closed.
	DialTimeout time.Duration
	// WriteTimeout bounds each write to either side (default 5s); a side
	// that does not take the bytes in time ends the connection.
	WriteTimeout time.Duration
	// Front, when set, serves the terminal's side over TLS (see package
	// fixtures/hosttls): the proxy stands for the host, presents its
	// certificate and counts plain-TCP connections, and every fault acts
	// on the ISO 8583 stream inside TLS.
	Front *hosttls.Front
	// Back, when set, is the TLS client configuration of the host side.
	Back *tls.Config
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 5 * time.Second
	}
	return o
}

// Stats are the proxy's counts since Start.
type Stats struct {
	Accepted  int // terminal connections accepted
	Failed    int // accepted connections closed because the host could not be reached
	Dropped   int // bytes discarded by Drop
	Cut       int // connections cut inside a message
	Reset     int // connections reset by ResetAll
	Discarded int // connections closed by Discard
	Messages  int // messages seen, both directions
}

// Proxy is a TCP fault proxy. Create it with New; it is safe for
// concurrent use.
type Proxy struct {
	target string
	opt    Options

	mu       sync.Mutex // guards the fields below
	ln       net.Listener
	addr     string // the address bound, kept to listen again after Refuse
	refusing int    // Refuse calls in force
	layers   []*layer
	changed  chan struct{} // closed and replaced when the layers change
	onMsg    func(Direction, string)
	conns    map[*conn]struct{}
	stats    Stats
	err      error // the first panic recovered (ErrHook)
	ctx      context.Context
	cancel   context.CancelFunc
	started  bool
	closed   bool
	wg       sync.WaitGroup
}

// New returns a proxy that forwards to the host at target ("host:port").
// It listens from Start.
func New(target string, opt Options) *Proxy {
	return &Proxy{target: target, opt: opt.withDefaults(), changed: make(chan struct{}), conns: map[*conn]struct{}{}}
}

// Target is the host address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Start listens on addr ("127.0.0.1:0" picks a free port) and proxies
// every connection until Close or until ctx ends. It returns the address
// the terminal must use.
func (p *Proxy) Start(ctx context.Context, addr string) (net.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return nil, fmt.Errorf("%w: start on %s", ErrClosed, addr)
	case p.started:
		return nil, fmt.Errorf("%w: start on %s", ErrStarted, addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s (proxy to %s): %w", ErrListen, addr, p.target, err)
	}
	p.ctx, p.cancel = context.WithCancel(ctx)
	p.started, p.addr = true, ln.Addr().String()
	context.AfterFunc(p.ctx, p.shutdown)
	if p.refusing > 0 {
		_ = ln.Close() // a Refuse made before Start holds
	} else {
		p.serve(ln)
	}
	return ln.Addr(), nil
}

// Addr is the address the proxy listens on (also while refusing), or nil
// before Start.
func (p *Proxy) Addr() net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return nil
	}
	a, _ := net.ResolveTCPAddr("tcp", p.addr)
	return a
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines. It is safe to call more than once and before Start.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	p.shutdown()
	p.wg.Wait()
	return nil
}

// shutdown closes the listener and every connection; it does not wait.
func (p *Proxy) shutdown() {
	p.mu.Lock()
	p.closed = true
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close(false)
	}
}

// Stats returns the counts since Start.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Err returns the first panic recovered in the OnMessage hook or in a
// connection's copying (wrapping ErrHook, with the stack), or nil. A
// panic in the hook does not stop the message; one in the copying closes
// that connection. Either is a harness bug: the runner reports it as a
// bench error.
func (p *Proxy) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// recovered records a panic value v recovered in where.
func (p *Proxy) recovered(where string, v any) {
	err := fmt.Errorf("%w: %s: %v\n%s", ErrHook, where, v, debug.Stack())
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// OnMessage sets the function called for every message in either
// direction whose first 4 bytes are an MTI, synchronously before any byte
// of the message (its length prefix included) passes: a fault fn injects
// therefore acts on this message. The message's connection and
// direction wait while fn runs; connections call fn concurrently; fn must
// not call Close. nil removes the hook.
func (p *Proxy) OnMessage(fn func(dir Direction, mti string)) {
	p.mu.Lock()
	p.onMsg = fn
	p.mu.Unlock()
}

// serve starts the accept loop on ln. p.mu must be held.
func (p *Proxy) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go p.accept(ln)
}

// accept runs until ln is closed (Refuse, Close).
func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	defer func() {
		if v := recover(); v != nil {
			p.recovered("accept", v)
			_ = ln.Close()
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		p.stats.Accepted++
		p.wg.Add(1)
		p.mu.Unlock()
		go p.handle(c)
	}
}

// Refuse stops listening, so the terminal's connects fail at once with
// ECONNREFUSED, as for a host that is down; connections already open are
// left alone. restore listens again on the same address (Refuses nest:
// the last restore does it); it fails, wrapping ErrListen, if another
// process took the port meanwhile. restore is idempotent.
func (p *Proxy) Refuse() (restore func() error) {
	p.mu.Lock()
	p.refusing++
	if p.refusing == 1 && p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() { err = p.unrefuse() })
		return err
	}
}

func (p *Proxy) unrefuse() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusing--
	if p.refusing > 0 || !p.started || p.closed || p.ln != nil {
		return nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(p.ctx, "tcp", p.addr)
	if err != nil {
		return fmt.Errorf("%w: again on %s (proxy to %s): %w", ErrListen, p.addr, p.target, err)
	}
	p.serve(ln)
	return nil
}
