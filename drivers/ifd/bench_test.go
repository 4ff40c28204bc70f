package ifd

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// pollPeriod is stock pcscd's presence poll (PCSCLITE_STATUS_POLL_RATE).
const pollPeriod = 400 * time.Millisecond

// BenchmarkPresence measures, through the real pcscd, how long a card's
// insertion and its removal take to reach a PC/SC client
// (SCardGetStatusChange): poshil's driver ("ours") and Debian's vpcd
// ("stock") in the same pcscd, where both are configured (ci/isolated.sh
// with the driver built, or a host after ci/deps.sh). Each op is one
// insertion and one removal, each after a random pause below one poll (so
// a polling reader is caught at any point of its poll, as a bench's cards
// are); ns/op leaves the pauses out.
// Budget for ours: insert-p50-ms and remove-p50-ms <= 5.
func BenchmarkPresence(b *testing.B) {
	s := bench(b)
	b.Logf("%s", s)
	for _, c := range []struct {
		name string
		r    *Reader
		slot int
	}{{"ours", s.Ours, oursSlot}, {"stock", s.Stock, stockSlot}} {
		b.Run(c.name, func(b *testing.B) {
			if c.r == nil {
				b.Skipf("%s reader not configured: %s", c.name, s)
			}
			ctx, cancel := context.WithTimeout(b.Context(), time.Hour)
			defer cancel()
			res, w := slotOf(ctx, b, c.r, c.slot)
			ins := make([]time.Duration, 0, b.N)
			rem := make([]time.Duration, 0, b.N)
			pause := func() {
				b.StopTimer()
				time.Sleep(rand.N(pollPeriod))
				b.StartTimer()
			}
			b.ResetTimer()
			for range b.N {
				i, m := cycle(ctx, b, res, w, newCard(0x01), pause)
				ins, rem = append(ins, i), append(rem, m)
			}
			b.StopTimer()
			slices.Sort(ins)
			slices.Sort(rem)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(quantile(ins, .5)), "insert-p50-ms")
			b.ReportMetric(ms(quantile(ins, .99)), "insert-p99-ms")
			b.ReportMetric(ms(quantile(rem, .5)), "remove-p50-ms")
			b.ReportMetric(ms(quantile(rem, .99)), "remove-p99-ms")
		})
	}
}
