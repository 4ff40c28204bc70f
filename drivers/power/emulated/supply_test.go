package emulated

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
)

func newSupply(t *testing.T, o *Opts) *Supply {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "supply.state"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fileState(t *testing.T, s *Supply) State {
	t.Helper()
	st, err := ReadState(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSupply(t *testing.T) {
	ctx := context.Background()
	s := newSupply(t, nil)
	if st := fileState(t, s); !st.Output || st.Voltage != 4200*physic.MilliVolt {
		t.Fatalf("initial state %v, want on at 4.2V", st)
	}
	var changes []Change
	remove := s.OnChange(func(_ context.Context, c Change) error {
		changes = append(changes, c)
		return nil
	})
	if err := s.SetVoltage(ctx, 3900*physic.MilliVolt+400*physic.MicroVolt); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Measure(ctx); err != nil || v != 3900*physic.MilliVolt {
		t.Errorf("Measure = %v, %v; want 3.9V (rounded to the mV)", v, err)
	}
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Measure(ctx); v != 0 {
		t.Errorf("Measure with output off = %v, want 0V", v)
	}
	if st := fileState(t, s); st.Output || st.Voltage != 3900*physic.MilliVolt || st != s.State() {
		t.Errorf("file %v, memory %v; want off at 3.9V in both", st, s.State())
	}
	// No change, no callback, no new seq.
	seq := s.State().Seq
	if err := s.SetOutput(ctx, false); err != nil || s.State().Seq != seq {
		t.Errorf("repeated SetOutput(false): %v, seq %d -> %d", err, seq, s.State().Seq)
	}
	if len(changes) != 2 || changes[1].From.Output != true || changes[1].To.Output != false {
		t.Fatalf("changes %+v, want voltage then output off", changes)
	}
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if st := fileState(t, s); !st.Output || st.Voltage != s.Nominal() {
		t.Errorf("after Halt %v, want on at nominal", st)
	}
	remove()
	remove()
	n := len(changes)
	if err := s.SetVoltage(ctx, 5*physic.Volt); err != nil || len(changes) != n {
		t.Errorf("callback ran after remove: %d changes, %v", len(changes), err)
	}
}

func TestSupplyErrors(t *testing.T) {
	ctx := context.Background()
	s := newSupply(t, &Opts{Nominal: 5 * physic.Volt, Max: 6 * physic.Volt})
	for _, v := range []physic.ElectricPotential{-physic.Volt, 6*physic.Volt + physic.MilliVolt} {
		if err := s.SetVoltage(ctx, v); !errors.Is(err, power.ErrRange) {
			t.Errorf("SetVoltage(%v) = %v, want ErrRange", v, err)
		}
	}
	if st := fileState(t, s); st.Voltage != 5*physic.Volt {
		t.Errorf("a rejected set point changed the file: %v", st)
	}
	if _, err := New(filepath.Join(t.TempDir(), "x"), &Opts{Nominal: 7 * physic.Volt, Max: 6 * physic.Volt}); !errors.Is(err, power.ErrRange) {
		t.Errorf("nominal over max: %v", err)
	}
	if _, err := New(filepath.Join(t.TempDir(), "missing", "x"), nil); err == nil {
		t.Error("New in a missing directory succeeded")
	}
	boom := errors.New("restart failed")
	s.OnChange(func(context.Context, Change) error { return boom })
	if err := s.SetOutput(ctx, false); !errors.Is(err, boom) {
		t.Errorf("callback error not returned: %v", err)
	}
	if s.State().Output {
		t.Error("the change should stand although a callback failed")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.SetOutput(cancelled, true); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	if _, err := s.Measure(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Measure with cancelled ctx: %v", err)
	}
}

// TestCallbackReentry: a callback that calls back into the supply fails
// when its ctx ends; it does not hang.
func TestCallbackReentry(t *testing.T) {
	s := newSupply(t, nil)
	s.OnChange(func(ctx context.Context, c Change) error {
		if c.To.Output {
			return nil
		}
		return s.SetOutput(ctx, true)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.SetOutput(ctx, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("re-entrant callback: %v, want a deadline error", err)
	}
}

// TestNoTornReads: a reader polling the file while it changes always sees
// a whole state (rename is atomic), and seq never goes back.
func TestNoTornReads(t *testing.T) {
	ctx := context.Background()
	s := newSupply(t, nil)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads int
	var readErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last uint64
		for !stop.Load() {
			st, err := ReadState(s.Path())
			if err != nil || st.Seq < last {
				readErr = errors.Join(err, errors.New("seq went back"))
				return
			}
			last = st.Seq
			reads++
		}
	}()
	for i := range 300 {
		if err := s.SetVoltage(ctx, physic.ElectricPotential(3000+i)*physic.MilliVolt); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if readErr != nil {
		t.Fatalf("after %d reads: %v", reads, readErr)
	}
}
