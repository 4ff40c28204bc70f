package lineproxy

import (
	"bytes"
	"math/bits"
	"testing"
	"time"
)

func TestBitErrorRate(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	const n, rate = 100_000, 0.01
	restore, err := p.BitErrors(ToDUT, rate, 42)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	zeros := make([]byte, n)
	wait := write(t, b.harness, zeros)
	got := readN(t, b.dut, n, 5*time.Second)
	wait()
	flipped := 0
	for _, c := range got {
		flipped += bits.OnesCount8(c)
	}
	want := rate * 8 * n // 8000, standard deviation about 89
	if f := float64(flipped); f < want*0.95 || f > want*1.05 {
		t.Fatalf("flipped %d bits of %d, want %v within 5%%", flipped, 8*n, want)
	}
	t.Logf("flipped %d of %d bits (rate %.5f)", flipped, 8*n, float64(flipped)/(8*n))
	if c := p.Counters(ToDUT); c.Flipped != flipped {
		t.Fatalf("counters say %d flips, the DUT saw %d", c.Flipped, flipped)
	}
	// The other direction is untouched.
	back := allBytes(1)
	write(t, b.dut, back)()
	if got := readN(t, b.harness, len(back), 2*time.Second); !bytes.Equal(got, back) {
		t.Fatal("bit errors to the DUT changed bytes from the DUT")
	}
}

func TestBitErrorsRateOneFlipsEverything(t *testing.T) {
	b := newBench(t, Options{})
	restore, err := b.e.Proxy().BitErrors(Both, 1, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	data := allBytes(1)
	write(t, b.dut, data)()
	got := readN(t, b.harness, len(data), 2*time.Second)
	for i, c := range got {
		if c != ^data[i] {
			t.Fatalf("byte %d: got %#02x, want %#02x", i, c, ^data[i])
		}
	}
}

// TestBitErrorsReproduce: the same seed over the same bytes flips the same
// bits; another seed does not.
func TestBitErrorsReproduce(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	data := allBytes(8)
	run := func(seed int64) []byte {
		restore, err := p.BitErrors(FromDUT, 0.05, seed)
		if err != nil {
			t.Fatal(err)
		}
		defer restore()
		wait := write(t, b.dut, data)
		defer wait()
		return readN(t, b.harness, len(data), 3*time.Second)
	}
	a1, a2, other := run(1), run(1), run(2)
	if bytes.Equal(a1, data) {
		t.Fatal("no bit flipped at rate 0.05")
	}
	if !bytes.Equal(a1, a2) {
		t.Fatal("same seed, different errors")
	}
	if bytes.Equal(a1, other) {
		t.Fatal("different seeds, same errors")
	}
}
