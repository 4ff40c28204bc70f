package netproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// dues plans chunks (sizes, all read at t0) on a fresh stream of s and
// returns each byte's delivery time as an offset from t0.
func dues(s Shape, chunks ...int) []time.Duration {
	s = s.withDefaults()
	sh := &shaping{Shape: s}
	l := &layer{kind: kShape, shape: sh}
	st := sh.newStream(l, ToTerminal)
	var out []time.Duration
	for _, n := range chunks {
		for _, sl := range st.plan(s, t0, n, &sh.buckets[1]) {
			for range sl.n {
				out = append(out, sl.due.Sub(t0))
			}
		}
	}
	return out
}

// TestShapeSeeded: the same seed gives the same delivery times, another
// seed other ones; the draws do not depend on how reads split the data.
func TestShapeSeeded(t *testing.T) {
	s := Shape{Latency: 300 * time.Millisecond, Jitter: 100 * time.Millisecond, Loss: 0.3, MSS: 100, Seed: 7}
	a := dues(s, 1000)
	if b := dues(s, 1000); !slices.Equal(a, b) {
		t.Fatal("same seed, other delivery times")
	}
	if b := dues(s, 130, 1, 569, 300); !slices.Equal(a, b) {
		t.Fatal("the same bytes read in other chunks got other delivery times")
	}
	s.Seed = 8
	if b := dues(s, 1000); slices.Equal(a, b) {
		t.Fatal("another seed, the same delivery times")
	}
}

// TestShapeJitter: latencies spread around Latency, never below 0, and
// uniform stays within Latency +- Jitter.
func TestShapeJitter(t *testing.T) {
	lat, jit := 200*time.Millisecond, 50*time.Millisecond
	for _, dist := range []string{"normal", "uniform"} {
		s := Shape{Latency: lat, Jitter: jit, Distribution: dist, MSS: 1, Seed: 1}.withDefaults()
		sh := &shaping{Shape: s}
		st := sh.newStream(&layer{kind: kShape, shape: sh}, ToHost)
		var lo, hi time.Duration = time.Hour, 0
		var sum time.Duration
		const n = 2000
		for range n {
			st.draw(s)
			lo, hi, sum = min(lo, st.lat), max(hi, st.lat), sum+st.lat
		}
		mean := sum / n
		if mean < lat-10*time.Millisecond || mean > lat+10*time.Millisecond {
			t.Errorf("%s: mean latency %v, want about %v", dist, mean, lat)
		}
		if hi-lo < jit {
			t.Errorf("%s: latencies from %v to %v: no jitter", dist, lo, hi)
		}
		if dist == "uniform" && (lo < lat-jit || hi > lat+jit) {
			t.Errorf("uniform: latencies from %v to %v, outside %v +- %v", lo, hi, lat, jit)
		}
	}
	wide := Shape{Latency: time.Millisecond, Jitter: time.Second, MSS: 1}
	st := (&shaping{Shape: wide}).newStream(&layer{}, ToHost)
	for range 100 {
		if st.draw(wide); st.lat < 0 {
			t.Fatalf("negative latency %v", st.lat)
		}
	}
}

// TestShapeLossIsRetransmission: a lost segment arrives whole
// retransmission timeouts late (RTO, then doubled), and holds back the
// segments behind it (in order, as TCP delivers).
func TestShapeLossIsRetransmission(t *testing.T) {
	s := Shape{Latency: 100 * time.Millisecond, Loss: 0.4, MSS: 10, Seed: 3}
	d := dues(s, 400)
	rto := s.RTO()
	if rto != 400*time.Millisecond {
		t.Fatalf("RTO %v, want 2*100ms + 200ms", rto)
	}
	late := 0
	for i := 0; i < len(d); i += 10 {
		extra := d[i] - s.Latency
		if i > 0 && d[i] < d[i-1] {
			t.Fatalf("byte %d delivered at %v, before byte %d at %v", i, d[i], i-1, d[i-1])
		}
		if extra == 0 {
			continue
		}
		late++
		// extra is RTO*(2^k - 1) for the segment's own k losses, or the
		// wait for a lost segment ahead of it: also such a sum.
		ok := false
		for k, sum := 1, rto; k <= maxRetries; k, sum = k+1, sum+rto<<k {
			ok = ok || extra == sum
		}
		if !ok {
			t.Fatalf("segment at byte %d: %v late, not a sum of backed-off RTOs of %v", i, extra, rto)
		}
	}
	if late == 0 || late == 40 {
		t.Fatalf("%d of 40 segments late at loss 0.4", late)
	}
	s.Loss = 0
	for i, v := range dues(s, 400) {
		if v != s.Latency {
			t.Fatalf("no loss: byte %d at %v, want %v", i, v, s.Latency)
		}
	}
}

// TestShapeRate: after the first Burst bytes, data leaves at Rate.
func TestShapeRate(t *testing.T) {
	s := Shape{Rate: 1000, Burst: 100, MSS: 50}
	d := dues(s, 600)
	if d[99] != 0 {
		t.Fatalf("byte 99 at %v: the burst should pass at once", d[99])
	}
	if want := 500 * time.Millisecond; d[599] != want {
		t.Fatalf("byte 599 at %v, want %v (500 bytes over the burst at 1000 B/s)", d[599], want)
	}
	// The bucket is the link's: a second stream the same way waits behind
	// the first.
	s = s.withDefaults()
	sh := &shaping{Shape: s}
	l := &layer{kind: kShape, shape: sh}
	a, b := sh.newStream(l, ToHost), sh.newStream(l, ToHost)
	a.plan(s, t0, 600, &sh.buckets[0])
	sl := b.plan(s, t0, 50, &sh.buckets[0])
	if got := sl[0].due.Sub(t0); got != 550*time.Millisecond {
		t.Fatalf("second connection's 50 bytes at %v, want 550ms", got)
	}
}

func TestShapeCheck(t *testing.T) {
	for _, s := range []Shape{
		{},
		{Latency: -1},
		{Loss: 1},
		{Loss: -0.1},
		{Rate: -5},
		{Latency: time.Second, Distribution: "pareto"},
	} {
		if err := s.Check(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", s, err)
		}
	}
	if err := (Shape{Loss: 0.1}).Check(); err != nil {
		t.Fatal(err)
	}
}

// TestShapeOnTCP: through the real proxy, a shaped exchange takes at
// least a latency each way plus the rate's time, and the terminal reads
// the response in more than one piece; once restored, the exchange is
// quick again. (A reader that comes late finds segments already joined in
// its socket buffer, so no single read is bounded by the MSS.)
func TestShapeOnTCP(t *testing.T) {
	_, haddr := startHost(t)
	p, addr := startProxy(t, haddr)
	restore, err := p.Shape(Shape{Latency: 100 * time.Millisecond, Rate: 2000, Burst: 32, MSS: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	req := sale()
	b, err := acquirer.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := acquirer.WriteFrame(within(t, 5*time.Second), c, b); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	reads := 0
	buf := make([]byte, 4096)
	for len(got) < 2 || len(got) < 2+int(got[0])<<8|int(got[1]) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got, reads = append(got, buf[:n]...), reads+1
	}
	took := time.Since(start)
	min := 200*time.Millisecond + time.Duration(len(b)+2-32+len(got)-32)*time.Second/2000
	if took < min {
		t.Fatalf("shaped exchange took %v, want at least %v", took, min)
	}
	if reads < 2 {
		t.Fatalf("response of %d bytes in %d read(s)", len(got), reads)
	}
	restore()
	restore()
	slow, err := p.Shape(Shape{Latency: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	slow()
	if _, err := acquirer.Exchange(within(t, 1500*time.Millisecond), dial(t, addr), sale()); err != nil {
		t.Fatalf("after restore: %v", err)
	}
}

// TestShapeOverlaps: data sent while earlier data travels starts its own
// latency when sent, as on a real link (the proxy reads on): two pieces
// written back to back both arrive about one latency later, not two.
func TestShapeOverlaps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, addr := startProxy(t, ln.Addr().String())
	restore, err := p.Shape(Shape{Latency: 500 * time.Millisecond, MSS: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	c := dial(t, addr)
	h, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	start := time.Now()
	for i, s := range []string{"abcd", "efgh", "ijkl"} {
		if i > 0 {
			// Apart, so the proxy reads them one by one (together, they
			// would pass as one piece and prove nothing).
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	_ = h.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 12)
	if _, err := io.ReadFull(h, buf); err != nil || string(buf) != "abcdefghijkl" {
		t.Fatalf("got %q, %v", buf, err)
	}
	if took := time.Since(start); took < 600*time.Millisecond || took > 1200*time.Millisecond {
		t.Fatalf("three pieces took %v: want one latency of 500ms after the last write (one after the other: 1.5s)", took)
	}
}

// TestShapeEndsAfterData: the end of a stream (FIN) and a cut pass only
// after the shaped data before them.
func TestShapeEndsAfterData(t *testing.T) {
	haddr, counts := rawHost(t)
	p, addr := startProxy(t, haddr)
	restore, err := p.Shape(Shape{Latency: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	c := dial(t, addr)
	if _, err := c.Write(make([]byte, 500)); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	select {
	case n := <-counts:
		if n != 500 {
			t.Fatalf("host got %d bytes before the end, want 500", n)
		}
	case <-within(t, 5*time.Second).Done():
		t.Fatal("host never saw the end")
	}
	// A cut after 5 of a message's bytes passes those 5 first.
	if _, err := p.CutMidMessage(ToHost, 0); err != nil {
		t.Fatal(err)
	}
	c = dial(t, addr)
	if _, err := c.Write([]byte{0, 10, '0', '2', '0', '0', 1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-counts:
		if n == 0 || n >= 12 {
			t.Fatalf("host got %d bytes of a cut 12-byte message", n)
		}
	case <-within(t, 5*time.Second).Done():
		t.Fatal("host never saw the cut")
	}
}

// BenchmarkExchange measures one ISO 8583 exchange through the proxy,
// plain and under a shape that delays nothing (a rate far above the
// traffic): the cost of shaping itself (planning, the wire).
func BenchmarkExchange(b *testing.B) {
	for _, shaped := range []bool{false, true} {
		name := "plain"
		if shaped {
			name = "shaped"
		}
		b.Run(name, func(b *testing.B) {
			s, err := acquirer.NewServer(acquirer.Config{})
			if err != nil {
				b.Fatal(err)
			}
			haddr, err := s.Start(b.Context(), "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			p := New(haddr.String(), Options{})
			addr, err := p.Start(b.Context(), "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			if shaped {
				if _, err := p.Shape(Shape{Rate: 1 << 30, Burst: 1 << 20}); err != nil {
					b.Fatal(err)
				}
			}
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			for b.Loop() {
				ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
				_, err := acquirer.Exchange(ctx, c, sale())
				cancel()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestShapeBackoff: a segment lost again waits twice as long for each
// further retransmission: RTO, 3 RTO, 7 RTO... after it was first sent.
func TestShapeBackoff(t *testing.T) {
	s := Shape{Latency: 50 * time.Millisecond, Loss: 0.8, MSS: 1, Seed: 5}.withDefaults()
	st := (&shaping{Shape: s}).newStream(&layer{}, ToHost)
	rto, deep := s.RTO(), 0
	for range 50 {
		st.draw(s)
		k := 0
		for sum := time.Duration(0); sum < st.penalty; k++ {
			sum += rto << k
		}
		if want := rto * time.Duration(1<<k-1); st.penalty != want {
			t.Fatalf("penalty %v: not RTO %v doubled per loss", st.penalty, rto)
		}
		if k >= 2 {
			deep++
		}
	}
	if deep == 0 {
		t.Fatal("no segment lost twice at loss 0.8")
	}
}
