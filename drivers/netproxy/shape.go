package netproxy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"time"
)

// Shape is the character of a poor link between the terminal and the
// host, as a weak radio signal or a congested line gives it: latency
// with jitter, segment loss and a bandwidth limit, each direction on its
// own. The proxy applies it to the real TCP stream (the kernel's netem
// qdisc is not available on every bench, and a proxy shapes one path
// only, whatever the DUT's own network).
//
// The stream of each direction is cut into segments of MSS bytes, counted
// from the connection's first byte, so the draws do not depend on how the
// kernel happens to split reads. Each segment:
//
//   - waits for the link: a token bucket of Rate bytes/s, Burst bytes
//     deep, shared by every connection going the same way (the link is
//     one); a piece of data leaves when the bucket holds its bytes;
//   - is lost with probability Loss. TCP hides a loss from the
//     application as a retransmission: the segment arrives one
//     retransmission timeout later, RTO = 2*Latency + max(4*Jitter,
//     200ms) (Linux's srtt + max(4*rttvar, rto_min)), doubled for each
//     further loss of the same segment (exponential backoff), up to 15
//     retransmissions (tcp_retries2);
//   - then travels Latency plus a jitter drawn from Distribution;
//   - is delivered in order: never before a segment sent ahead of it (a
//     lost segment holds back those behind it, as TCP's receive buffer
//     does).
//
// Draws come from math/rand/v2's PCG seeded with Seed, the connection's
// number (from 0, in the order connections first carry data in that
// direction after the shape is put in force) and the direction, so a run
// repeats exactly given the same traffic. The proxy keeps reading while shaped
// data travels (each direction has a wire of its own that delivers it
// when due), so latency overlaps as on a real link.
type Shape struct {
	// Latency is the one-way delay of every segment, each direction.
	Latency time.Duration
	// Jitter spreads the latency: the standard deviation of a normal
	// distribution, or the half-width of a uniform one. The drawn
	// latency is never below 0.
	Jitter time.Duration
	// Distribution is "normal" (default, as netem's) or "uniform".
	Distribution string
	// Loss is the probability in [0, 1) that a segment is lost.
	Loss float64
	// Rate is the link's bandwidth in bytes per second each way; 0: no
	// limit.
	Rate int
	// Burst is the token bucket's depth in bytes (default MSS).
	Burst int
	// MSS is the segment size in bytes (default 1460, Ethernet's).
	MSS int
	// Seed seeds the draws.
	Seed int64
}

// Shaper is what link-shape faults need from a network proxy; *Proxy
// implements it.
type Shaper interface {
	Shape(s Shape) (restore func(), err error)
}

var _ Shaper = (*Proxy)(nil)

// Limits of a Shape's settings.
const (
	minRTO     = 200 * time.Millisecond
	maxRetries = 15
	defaultMSS = 1460
)

func (s Shape) withDefaults() Shape {
	if s.MSS == 0 {
		s.MSS = defaultMSS
	}
	if s.Burst == 0 {
		s.Burst = s.MSS
	}
	if s.Distribution == "" {
		s.Distribution = "normal"
	}
	return s
}

// Check reports a setting that cannot be applied, wrapping ErrConfig.
func (s Shape) Check() error {
	switch {
	case s.Latency < 0 || s.Jitter < 0:
		return fmt.Errorf("%w: shape: latency %v and jitter %v must not be negative", ErrConfig, s.Latency, s.Jitter)
	case !(s.Loss >= 0 && s.Loss < 1):
		return fmt.Errorf("%w: shape: loss %v must be in [0, 1)", ErrConfig, s.Loss)
	case s.Rate < 0 || s.Burst < 0 || s.MSS < 0:
		return fmt.Errorf("%w: shape: rate %d, burst %d and mss %d must not be negative", ErrConfig, s.Rate, s.Burst, s.MSS)
	case s.Distribution != "" && s.Distribution != "normal" && s.Distribution != "uniform":
		return fmt.Errorf("%w: shape: distribution %q: want normal or uniform", ErrConfig, s.Distribution)
	case s.Latency == 0 && s.Jitter == 0 && s.Loss == 0 && s.Rate == 0:
		return fmt.Errorf("%w: shape: nothing to shape (give latency, jitter, loss or rate)", ErrConfig)
	}
	return nil
}

// RTO is the first retransmission timeout of a lost segment.
func (s Shape) RTO() time.Duration {
	return 2*s.Latency + max(4*s.Jitter, minRTO)
}

// Shape puts s in force on every connection, both ways, until restore
// (idempotent); data already held passes when its time comes. The most
// recent shape in force decides; other faults (a delay, a stall) apply
// on top of it.
func (p *Proxy) Shape(s Shape) (restore func(), err error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	return p.add(&layer{kind: kShape, shape: &shaping{Shape: s}}), nil
}

// shaping is a shape in force.
type shaping struct {
	Shape
	buckets [2]bucket // the link's token buckets, by direction (under p.mu)
	streams [2]int    // streams started, by direction (under p.mu)
}

// bucket is a token bucket in reservation form: a piece takes its bytes
// at once, and waits while the bucket is in debt.
type bucket struct {
	tokens float64
	last   time.Time
}

// reserve takes n bytes at time now and returns how long they wait to
// leave. rate and depth are the shape's.
func (b *bucket) reserve(now time.Time, n, rate, depth int) time.Duration {
	if b.last.IsZero() {
		b.tokens, b.last = float64(depth), now
	}
	if now.After(b.last) {
		b.tokens = math.Min(float64(depth), b.tokens+now.Sub(b.last).Seconds()*float64(rate))
		b.last = now
	}
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / float64(rate) * float64(time.Second))
}

// stream is one direction of one connection under a shape: where the
// current segment ends and what it drew. The pump owns it.
type stream struct {
	l       *layer
	rng     *rand.Rand
	off     int64 // bytes of the direction passed under l
	segEnd  int64 // end of the current segment
	lat     time.Duration
	penalty time.Duration // retransmission delay of the current segment
	lastDue time.Time
}

// draw gives the next segment its latency and loss penalty.
func (st *stream) draw(s Shape) {
	lat := s.Latency
	switch s.Distribution {
	case "uniform":
		lat += time.Duration((2*st.rng.Float64() - 1) * float64(s.Jitter))
	default:
		lat += time.Duration(st.rng.NormFloat64() * float64(s.Jitter))
	}
	st.lat = max(lat, 0)
	st.penalty = 0
	rto := s.RTO()
	for i := 0; i < maxRetries && st.rng.Float64() < s.Loss; i++ {
		st.penalty += rto
		rto *= 2
	}
}

// slot is a piece of a chunk and when it reaches the other side.
type slot struct {
	n   int
	due time.Time
}

// plan cuts a chunk of n bytes, read at now, into pieces along segment
// boundaries and gives each its delivery time. b is the direction's
// bucket (nil: no rate limit); the caller holds what guards it.
func (st *stream) plan(s Shape, now time.Time, n int, b *bucket) []slot {
	var out []slot
	for n > 0 {
		if st.off == st.segEnd {
			st.segEnd += int64(s.MSS)
			st.draw(s)
		}
		k := int(min(int64(n), st.segEnd-st.off))
		depart := now
		if b != nil && s.Rate > 0 {
			depart = now.Add(b.reserve(now, k, s.Rate, s.Burst))
		}
		due := depart.Add(st.penalty + st.lat)
		if due.Before(st.lastDue) {
			due = st.lastDue
		}
		st.lastDue = due
		out = append(out, slot{n: k, due: due})
		st.off += int64(k)
		n -= k
	}
	return out
}

// newStream starts the stream of a connection going in d under l (which
// holds sh); the caller holds p.mu. Streams are numbered in the order
// they start, each direction on its own, from the shape's injection.
func (sh *shaping) newStream(l *layer, d Direction) *stream {
	id := sh.streams[d>>1]
	sh.streams[d>>1]++
	return &stream{l: l, rng: rand.New(rand.NewPCG(uint64(sh.Seed), uint64(id)<<2|uint64(d)))}
}

// wire carries one direction of a shaped connection: the pump puts each
// piece on it with its delivery time, and the wire's own goroutine
// writes the pieces in order when they are due (through send, so the
// other faults in force apply too).
type wire struct {
	q chan wireItem
}

// wireItem is a piece of data due at a time (zero: at once), or, with
// drained set, a marker closed when everything before it was written.
type wireItem struct {
	data    []byte
	due     time.Time
	drained chan struct{}
}

// wireDepth is how many pieces a wire holds before its pump waits (a
// full TCP window).
const wireDepth = 256

// startWire starts the wire of direction d to dst. Only d's pump calls it.
func (c *conn) startWire(d Direction, dst net.Conn) *wire {
	w := &wire{q: make(chan wireItem, wireDepth)}
	c.wires[d>>1] = w
	c.p.wg.Add(1)
	go c.runWire(d, w, dst)
	return w
}

// put queues it; false when the connection is closed meanwhile.
func (w *wire) put(c *conn, it wireItem) bool {
	select {
	case w.q <- it:
		return true
	case <-c.done:
		return false
	}
}

// drain waits until the wire of d (if any) has written everything put on
// it; false when the connection is closed first.
func (c *conn) drain(d Direction) bool {
	w := c.wires[d>>1]
	if w == nil {
		return true
	}
	done := make(chan struct{})
	if !w.put(c, wireItem{drained: done}) {
		return false
	}
	select {
	case <-done:
		return true
	case <-c.done:
		return false
	}
}

// runWire writes w's pieces when due, until the connection closes; a
// write that fails closes it.
func (c *conn) runWire(d Direction, w *wire, dst net.Conn) {
	defer c.p.wg.Done()
	defer func() {
		if v := recover(); v != nil {
			c.p.recovered("shaping "+d.String(), v)
			c.close(false)
		}
	}()
	for {
		var it wireItem
		select {
		case it = <-w.q:
		case <-c.done:
			return
		}
		if it.drained != nil {
			close(it.drained)
			continue
		}
		if wait := time.Until(it.due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.done:
				t.Stop()
				return
			}
		}
		if !c.send(dst, it.data) {
			c.close(false)
			return
		}
	}
}
