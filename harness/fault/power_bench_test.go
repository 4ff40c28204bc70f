package fault_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/fault"
)

// benchStamp is a trivial fault whose Inject records when it ran.
type benchStamp struct{ at chan time.Time }

// Instance implements fault.Instancer: the benchmark reads the armed fault.
func (f *benchStamp) Instance() fault.Fault { return f }

func (f *benchStamp) Inject(context.Context, fault.Target) error {
	f.at <- time.Now()
	return nil
}
func (f *benchStamp) Clear(context.Context, fault.Target) error { return nil }

// BenchmarkTimedFault measures how late a timed fault fires: a spec with
// when.after 5ms is armed on a Schedule, and lateness is Inject's time
// minus (the time before Arm + 5ms), so Arm's own cost counts as late.
// It reports p50, p99 and max lateness in microseconds; the budget is
// p99 <= 2ms. Each run takes 5ms: use e.g. -benchtime=400x.
func BenchmarkTimedFault(b *testing.B) {
	const after = 5 * time.Millisecond
	ctx := context.Background()
	tg := &powerTarget{}
	late := make([]time.Duration, 0, b.N)
	for b.Loop() {
		f := &benchStamp{at: make(chan time.Time, 1)}
		sched := fault.NewSchedule(ctx, tg)
		spec := &fault.Spec{Name: "stamp", ID: "stamp", Fault: f, When: fault.Trigger{After: after}}
		armed := time.Now()
		if err := sched.Arm(ctx, spec); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-f.at:
			late = append(late, at.Sub(armed.Add(after)))
		case <-time.After(10 * time.Second):
			b.Fatal("the timed fault never fired")
		}
		if err := sched.ClearAll(ctx); err != nil {
			b.Fatal(err)
		}
		tg.mu.Lock()
		tg.notes = tg.notes[:0]
		tg.mu.Unlock()
	}
	p99 := benchReportLate(b, late)
	if len(late) >= 100 && p99 > 2*time.Millisecond {
		b.Errorf("p99 lateness %v over the 2ms budget (%d runs; compare BenchmarkTimerBaseline: a loaded host is late on its own)", p99, len(late))
	}
}

// BenchmarkTimerBaseline is the host's own timer lateness (a bare
// time.AfterFunc of 5ms), to read BenchmarkTimedFault against: what the
// schedule adds is the difference.
func BenchmarkTimerBaseline(b *testing.B) {
	const after = 5 * time.Millisecond
	late := make([]time.Duration, 0, b.N)
	for b.Loop() {
		at := make(chan time.Time, 1)
		start := time.Now()
		time.AfterFunc(after, func() { at <- time.Now() })
		select {
		case t := <-at:
			late = append(late, t.Sub(start.Add(after)))
		case <-time.After(10 * time.Second):
			b.Fatal("the timer never fired")
		}
	}
	benchReportLate(b, late)
}

// benchReportLate reports p50, p99 and max of late in microseconds and
// returns p99.
func benchReportLate(b *testing.B, late []time.Duration) time.Duration {
	slices.Sort(late)
	q := func(p float64) time.Duration { return late[min(len(late)-1, int(p*float64(len(late))))] }
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(q(0.50)), "p50-late-us")
	b.ReportMetric(us(q(0.99)), "p99-late-us")
	b.ReportMetric(us(late[len(late)-1]), "max-late-us")
	b.Logf("%d runs: lateness p50 %v, p99 %v, max %v", len(late), q(0.50), q(0.99), late[len(late)-1])
	return q(0.99)
}
