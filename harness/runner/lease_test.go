package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/verdict"
)

// TestTwoRigsOneBench: a second rig on a bench that a rig holds is a
// bench error naming the holder; with Wait it gets the bench once the
// first rig closes. It needs pcscd with vpcd (ci/isolated.sh).
func TestTwoRigsOneBench(t *testing.T) {
	if os.Getenv("POSHIL_ISOLATED") == "" && os.Getenv("CI") == "" {
		t.Skip("needs a private bench: ci/isolated.sh go test ./harness/runner/ -run TestTwoRigsOneBench")
	}
	t.Setenv("TMPDIR", t.TempDir())
	b, err := bench.Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := Up(ctx, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Up(ctx, b, Options{})
	if !errors.Is(err, verdict.ErrBench) || !errors.Is(err, lease.ErrBusy) {
		t.Fatalf("second rig: %v, want a bench error, bench busy", err)
	}
	if want := "bench busy, held by pid " + strconv.Itoa(os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("%v: want %q", err, want)
	}
	got := make(chan error, 1)
	go func() {
		r, err := Up(ctx, b, Options{Wait: 30 * time.Second})
		if err == nil {
			err = r.Close()
		}
		got <- err
	}()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiting rig: %v", err)
	}
}

// TestPowerPartsLeased: a run holds its SCPI supply's line (as it holds
// the DUT's serial devices) and its relay's pin, so two runs never drive
// one supply.
func TestPowerPartsLeased(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "ttyPSU")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	b := &bench.Bench{Card: bench.Card{Reader: "Fake"}}
	want, err := lease.Serial(dev)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		power *bench.Power
		key   lease.Key
	}{
		{&bench.Power{Supply: bench.SupplySCPI, Port: dev}, want},
		{&bench.Power{Supply: bench.SupplyRelay, Pin: "GPIO17"}, lease.Key{Name: "gpio GPIO17", Desc: "relay pin GPIO17"}},
	} {
		b.Power = c.power
		keys, err := benchKeys(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(keys, c.key) {
			t.Errorf("%s bench: keys %v, want %v", c.power.Supply, keys, c.key)
		}
	}
}
