package fault_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/fault"
)

// eventRig is a host behind a network proxy whose MTI hook notifies the
// schedule of the run in progress, as the runner wires it.
type eventRig struct {
	host  *acquirer.Server
	addr  string // the proxy
	sched atomic.Pointer[fault.Schedule]
}

func newEventRig(tb testing.TB) *eventRig {
	tb.Helper()
	ctx := context.Background()
	host, err := acquirer.NewServer(acquirer.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	haddr, err := host.Start(ctx, "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { host.Close() })
	p := netproxy.New(haddr.String(), netproxy.Options{})
	addr, err := p.Start(ctx, "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	r := &eventRig{host: host, addr: addr.String()}
	p.OnMessage(func(d netproxy.Direction, mti string) {
		if s := r.sched.Load(); s != nil && d == netproxy.ToHost {
			s.Notify(fault.Event{Kind: fault.EventMTI, MTI: mti})
		}
	})
	return r
}

// timedFault records when its Inject returned.
type timedFault struct {
	fault.Fault
	mu   sync.Mutex
	done time.Time
}

// Instance implements fault.Instancer: the test reads the armed fault.
func (f *timedFault) Instance() fault.Fault { return f }

func (f *timedFault) Inject(ctx context.Context, t fault.Target) error {
	err := f.Fault.Inject(ctx, t)
	f.mu.Lock()
	f.done = time.Now()
	f.mu.Unlock()
	return err
}

// run arms host_no_response on MTI 0200, sends one 0200 through the proxy
// and reports whether the fault came late: the host answered the 0200, or
// read it before Inject returned.
func (r *eventRig) run(tb testing.TB, stan int) (late bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.host.Reset()
	tg := &proxyTarget{host: r.host}
	s := fault.NewSchedule(ctx, tg)
	f := &timedFault{Fault: &fault.HostNoResponse{}}
	if err := s.Arm(ctx, &fault.Spec{Name: "host_no_response", ID: "nr", Fault: f, When: fault.Trigger{MTI: "0200"}}); err != nil {
		tb.Fatal(err)
	}
	r.sched.Store(s)
	defer func() {
		r.sched.Store(nil)
		if err := s.ClearAll(ctx); err != nil {
			tb.Fatal(err)
		}
	}()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	now := time.Now()
	req := &acquirer.Txn{MTI: "0200", PAN: "4761739001010119", ProcessingCode: "000000", Amount: 100,
		TransmissionTime: now.UTC(), STAN: stan, LocalTime: now, TerminalID: "TERM0001", Currency: "978"}
	b, err := acquirer.Encode(req)
	if err != nil {
		tb.Fatal(err)
	}
	if err := acquirer.WriteFrame(ctx, c, b); err != nil {
		tb.Fatal(err)
	}
	in, err := r.host.Wait(ctx, func(rec acquirer.Record) bool {
		return rec.Dir == acquirer.In && rec.Txn != nil && rec.Txn.STAN == stan
	})
	if err != nil {
		tb.Fatal(err)
	}
	// The host journals a response in the same step as its request, so
	// if one was due it is there now.
	for _, rec := range r.host.Journal() {
		if rec.Dir == acquirer.Out && rec.Txn != nil && rec.Txn.STAN == stan {
			late = true
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done.IsZero() || in.Time.Before(f.done) {
		late = true
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	return late
}

// BenchmarkEventTrigger: a fault triggered by an ISO 8583 MTI through the
// network proxy's hook acts before the message reaches the host. Run
// with -benchtime=1000x for the 1000-run figure; "late" must be 0.
func BenchmarkEventTrigger(b *testing.B) {
	r := newEventRig(b)
	late, runs := 0, 0
	for b.Loop() {
		runs++
		if r.run(b, runs%999999+1) {
			late++
		}
	}
	b.ReportMetric(float64(late), "late")
	b.ReportMetric(float64(runs), "runs")
	if late > 0 {
		b.Fatalf("fault came late in %d of %d runs", late, runs)
	}
}

// TestEventTriggerNeverLate is the benchmark's check in the test suite.
func TestEventTriggerNeverLate(t *testing.T) {
	r := newEventRig(t)
	n := 1000
	if testing.Short() {
		n = 100
	}
	for i := range n {
		if r.run(t, i+1) {
			t.Fatalf("run %d: the 0200 reached the host before the fault was in force", i+1)
		}
	}
}
