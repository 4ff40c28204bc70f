package pcsc_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/pcsc/pcsctest"
)

// roundTrips sends n SELECT PPSE through pcscd -> vpcd -> emulated card
// and back, and returns each round trip's duration.
func roundTrips(tb testing.TB, n int, reset func()) []time.Duration {
	// The card stays in for the whole run, however long -benchtime is.
	ctx, cancel := context.WithTimeout(tb.Context(), 10*time.Minute)
	defer cancel()
	b := pcsctest.Setup(ctx, tb)
	b.Insert(ctx, tb, visa(tb))
	card := connect(ctx, tb, b.Reader)
	samples := make([]time.Duration, 0, n)
	if reset != nil {
		reset()
	}
	for range n {
		start := time.Now()
		rsp, err := card.Transmit(ctx, selectPPSE)
		d := time.Since(start)
		// A T=0 card answers a case-4 SELECT with 61xx (data waiting):
		// one complete round trip either way.
		if err != nil || len(rsp) < 2 || (rsp[len(rsp)-2] != 0x61 && !bytes.HasSuffix(rsp, []byte{0x90, 0x00})) {
			tb.Fatalf("SELECT PPSE: % X, %v", rsp, err)
		}
		samples = append(samples, d)
	}
	return samples
}

// quantile of sorted durations, q in [0, 1].
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(q*float64(len(sorted)-1))]
}

// BenchmarkAPDURoundTrip measures one APDU exchange through the real
// stack. ns/op is a mean; median-ns and p99-ns come from every sample.
// Budget: median <= 0.2 ms.
func BenchmarkAPDURoundTrip(b *testing.B) {
	samples := roundTrips(b, b.N, b.ResetTimer)
	b.StopTimer()
	slices.Sort(samples)
	b.ReportMetric(float64(quantile(samples, 0.5).Nanoseconds()), "median-ns")
	b.ReportMetric(float64(quantile(samples, 0.99).Nanoseconds()), "p99-ns")
}

// TestAPDURoundTrip guards the delayed-ACK fix: a naive card side takes
// ~45 ms per APDU. The limit is loose (busy CI machines); the benchmark
// gives the real figure.
func TestAPDURoundTrip(t *testing.T) {
	samples := roundTrips(t, 200, nil)
	slices.Sort(samples)
	med := quantile(samples, 0.5)
	t.Logf("APDU round trip over %d samples: median %v, p99 %v", len(samples), med, quantile(samples, 0.99))
	if med > 2*time.Millisecond {
		t.Errorf("median APDU round trip %v, want well under 2 ms (budget 0.2 ms)", med)
	}
}
