package netproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// conn is one proxied connection: the terminal's and the one to the host.
type conn struct {
	p            *Proxy
	client, host net.Conn
	done         chan struct{} // closed by close
	once         sync.Once
	wires        [2]*wire // by direction, once shaped; each set by its pump only
}

// close closes both sides once; reset sends RST instead of FIN.
func (c *conn) close(reset bool) {
	c.once.Do(func() {
		close(c.done)
		for _, nc := range []net.Conn{c.client, c.host} {
			nc = rawConn(nc) // TLS: no close_notify to a peer that may not read
			if tc, ok := nc.(*net.TCPConn); ok && reset {
				_ = tc.SetLinger(0)
			}
			_ = nc.Close()
		}
	})
}

// handle connects to the host for an accepted terminal connection and
// copies both ways until both sides are done.
func (p *Proxy) handle(client net.Conn) {
	defer p.wg.Done()
	defer func() {
		if v := recover(); v != nil {
			p.recovered("connection", v)
			_ = client.Close()
		}
	}()
	p.mu.Lock()
	ctx := p.ctx
	p.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, p.opt.DialTimeout)
	var d net.Dialer
	host, err := d.DialContext(dctx, "tcp", p.target)
	cancel()
	if err != nil {
		p.mu.Lock()
		p.stats.Failed++
		p.mu.Unlock()
		_ = client.Close()
		return
	}
	if p.opt.Front != nil {
		client = p.opt.Front.Server(client)
	}
	if p.opt.Back != nil {
		host = tls.Client(host, p.opt.Back)
	}
	c := &conn{p: p, client: client, host: host, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.close(false)
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go c.pump(&wg, ToHost, client, host)
	go c.pump(&wg, ToTerminal, host, client)
	wg.Wait()
	c.close(false)
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pump copies src to dst, one direction. On a clean end of src it passes
// the end on (FIN) and leaves the other direction running; on an error,
// a cut or a reset it closes the whole connection. Reads end when the
// connection is closed, which Close and the proxy's ctx do.
func (c *conn) pump(wg *sync.WaitGroup, d Direction, src, dst net.Conn) {
	defer wg.Done()
	defer func() {
		if v := recover(); v != nil {
			c.p.recovered("copying "+d.String(), v)
			c.close(false)
		}
	}()
	var fr framer
	cutLeft := -1 // bytes of the current message still to pass before a cut
	buf := make([]byte, 32<<10)
	var st *stream // the direction under a shape, or nil
	for {
		n, err := src.Read(buf)
		if n > 0 && !c.forward(d, dst, fr.feed(buf[:n]), &cutLeft, &st) {
			c.close(false)
			return
		}
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) && c.forward(d, dst, fr.flush(), &cutLeft, &st) && c.drain(d) {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
				return
			}
		}
		c.close(false)
		return
	}
}

// forward passes pieces to dst in order: it reports each message, starts
// a cut if one claims it, and sends data through the faults in force. It
// returns false when the connection must end.
func (c *conn) forward(d Direction, dst net.Conn, pieces []piece, cutLeft *int, st **stream) bool {
	p := c.p
	for _, pc := range pieces {
		if pc.msg {
			p.mu.Lock()
			p.stats.Messages++
			fn := p.onMsg
			p.mu.Unlock()
			if fn != nil && pc.mti != "" {
				p.callHook(fn, d, pc.mti)
			}
			if k, ok := p.claimCut(d, pc.length); ok {
				*cutLeft = k
			}
			continue
		}
		data := pc.data
		if *cutLeft >= 0 && len(data) >= *cutLeft {
			if *cutLeft > 0 && (!c.deliver(d, st, dst, data[:*cutLeft]) || !c.drain(d)) {
				return false
			}
			p.mu.Lock()
			p.stats.Cut++
			p.mu.Unlock()
			return false
		}
		if *cutLeft > 0 {
			*cutLeft -= len(data)
		}
		if !c.deliver(d, st, dst, data) {
			return false
		}
	}
	return true
}

// deliver passes data in d through the shape in force, if any (see
// Shape), then on to send; *st is the direction's shaped stream, kept by
// the pump. Shaped data goes through the direction's wire, so the pump
// reads on while it travels; once a direction has a wire, all its data
// goes through it, in order.
func (c *conn) deliver(d Direction, st **stream, dst net.Conn, data []byte) bool {
	p := c.p
	l := p.shapeFor()
	w := c.wires[d>>1]
	if l == nil {
		*st = nil
		if w == nil {
			return c.send(dst, data)
		}
		return w.put(c, wireItem{data: slices.Clone(data)})
	}
	if w == nil {
		w = c.startWire(d, dst)
	}
	now := time.Now()
	p.mu.Lock()
	if *st == nil || (*st).l != l {
		*st = l.shape.newStream(l, d)
	}
	slots := (*st).plan(l.shape.Shape, now, len(data), &l.shape.buckets[d>>1])
	p.mu.Unlock()
	for _, s := range slots {
		if !w.put(c, wireItem{data: slices.Clone(data[:s.n]), due: s.due}) {
			return false
		}
		data = data[s.n:]
	}
	return true
}

// send writes data to dst once the faults in force let it: it waits out
// a stall, discards it under a drop, holds it for a delay.
func (c *conn) send(dst net.Conn, data []byte) bool {
	p := c.p
	for {
		a := p.actionFor()
		if a.stall {
			select {
			case <-a.changed:
				continue
			case <-c.done:
				return false
			}
		}
		if a.drop {
			p.mu.Lock()
			p.stats.Dropped += len(data)
			p.mu.Unlock()
			return true
		}
		if a.delay > 0 {
			t := time.NewTimer(a.delay)
			select {
			case <-t.C:
			case <-c.done:
				t.Stop()
				return false
			}
		}
		_ = dst.SetWriteDeadline(time.Now().Add(p.opt.WriteTimeout))
		_, err := dst.Write(data)
		return err == nil
	}
}

// callHook runs the OnMessage hook, recovering a panic (see Err): the
// message then passes as if the hook had returned.
func (p *Proxy) callHook(fn func(Direction, string), d Direction, mti string) {
	defer func() {
		if v := recover(); v != nil {
			p.recovered("OnMessage "+mti, v)
		}
	}()
	fn(d, mti)
}

// rawConn is the TCP connection under a TLS one (or nc itself).
func rawConn(nc net.Conn) net.Conn {
	for {
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return nc
		}
		nc = u.NetConn()
	}
}
