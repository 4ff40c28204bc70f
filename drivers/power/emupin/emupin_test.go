package emupin

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"periph.io/x/conn/v3/analog"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power/emulated"
)

const mV = physic.MilliVolt

func newSupply(t *testing.T) *emulated.Supply {
	t.Helper()
	s, err := emulated.New(filepath.Join(t.TempDir(), "supply.state"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestADC(t *testing.T) {
	ctx := context.Background()
	s := newSupply(t)
	adc, err := NewADC(s.Path(), &ADCOpts{FullScale: 5 * physic.Volt})
	if err != nil {
		t.Fatal(err)
	}
	read := func() analog.Sample {
		t.Helper()
		v, err := adc.Read()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := read(); got != (analog.Sample{V: 4200 * mV, Raw: 4200}) {
		t.Errorf("at nominal: %+v", got)
	}
	if err := s.SetVoltage(ctx, 3900*mV); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.V != 3900*mV || got.Raw != 3900 {
		t.Errorf("after sag: %+v", got)
	}
	if err := s.SetVoltage(ctx, 12*physic.Volt); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.V != 5*physic.Volt || got.Raw != 5000 {
		t.Errorf("over full scale: %+v, want saturated at 5V", got)
	}
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != (analog.Sample{}) {
		t.Errorf("output off: %+v, want 0", got)
	}
	lo, hi := adc.Range()
	if lo != (analog.Sample{}) || hi != (analog.Sample{V: 5 * physic.Volt, Raw: 5000}) {
		t.Errorf("Range = %+v %+v", lo, hi)
	}
	if adc.Name() != "SUPPLY_ADC" || adc.Func() != analog.ADC || adc.SetFunc(gpio.IN) == nil || adc.SetFunc(analog.ADC) != nil {
		t.Error("pin identity")
	}
	s.Close()
	if _, err := adc.Read(); !errors.Is(err, emulated.ErrState) {
		t.Errorf("read without a supply: %v", err)
	}
	if _, err := NewADC(s.Path(), nil); !errors.Is(err, emulated.ErrState) {
		t.Errorf("NewADC without a supply: %v", err)
	}
}

func TestPowerGoodLevel(t *testing.T) {
	ctx := context.Background()
	s := newSupply(t)
	pg, err := NewPowerGood(s.Path(), &PowerGoodOpts{Threshold: 3600 * mV})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	steps := []struct {
		do   func() error
		want gpio.Level
	}{
		{func() error { return nil }, gpio.High},
		{func() error { return s.SetVoltage(ctx, 3600*mV) }, gpio.High},
		{func() error { return s.SetVoltage(ctx, 3599*mV) }, gpio.Low},
		{func() error { return s.SetVoltage(ctx, 4200*mV) }, gpio.High},
		{func() error { return s.SetOutput(ctx, false) }, gpio.Low},
		{func() error { return s.SetOutput(ctx, true) }, gpio.High},
		{s.Close, gpio.Low},
	}
	for i, st := range steps {
		if err := st.do(); err != nil {
			t.Fatal(err)
		}
		if got := pg.Read(); got != st.want {
			t.Errorf("step %d: %v, want %v", i, got, st.want)
		}
	}
	if _, err := pg.Level(); !errors.Is(err, emulated.ErrState) {
		t.Errorf("Level without a supply: %v", err)
	}
	if err := pg.Out(gpio.High); !errors.Is(err, ErrInputOnly) {
		t.Errorf("Out: %v", err)
	}
}

func TestPowerGoodEdges(t *testing.T) {
	ctx := context.Background()
	s := newSupply(t)
	pg, err := NewPowerGood(s.Path(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if pg.WaitForEdge(0) {
		t.Error("edge before In asked for one")
	}
	if err := pg.In(gpio.PullNoChange, gpio.FallingEdge); err != nil {
		t.Fatal(err)
	}
	// An edge between In and WaitForEdge is kept.
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	if !pg.WaitForEdge(time.Second) {
		t.Fatal("falling edge missed")
	}
	// Rising is not what we asked for; a voltage change at the same
	// level is no edge either.
	if err := s.SetOutput(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVoltage(ctx, 4100*mV); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if pg.WaitForEdge(30 * time.Millisecond) {
		t.Error("reported a rising edge to a falling-edge wait")
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("WaitForEdge(30ms) returned after %v", d)
	}
	// A blocked wait wakes on the change.
	done := make(chan bool, 1)
	go func() { done <- pg.WaitForEdge(5 * time.Second) }()
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if !got {
			t.Error("blocked wait did not report the falling edge")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("blocked wait did not wake on the change")
	}
	if err := pg.In(gpio.PullNoChange, gpio.BothEdges); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutput(ctx, true); err != nil {
		t.Fatal(err)
	}
	if !pg.WaitForEdge(time.Second) {
		t.Error("rising edge missed with BothEdges")
	}
}

func TestPowerGoodInterrupt(t *testing.T) {
	s := newSupply(t)
	pg, err := NewPowerGood(s.Path(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.In(gpio.PullNoChange, gpio.BothEdges); err != nil {
		t.Fatal(err)
	}
	// Halt ends the wait in progress; a Halt before the wait starts has
	// nothing to end, so keep halting until the waiter returns.
	done := make(chan bool, 1)
	go func() { done <- pg.WaitForEdge(-1) }()
	deadline := time.After(2 * time.Second)
	for stopped := false; !stopped; {
		pg.Halt()
		select {
		case got := <-done:
			if got {
				t.Error("Halt: WaitForEdge reported an edge")
			}
			stopped = true
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("Halt did not end WaitForEdge(-1)")
		}
	}
	go func() { done <- pg.WaitForEdge(-1) }()
	if err := pg.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end WaitForEdge(-1)")
	}
	if pg.WaitForEdge(-1) {
		t.Error("edge after Close")
	}
	if pg.Close() != nil {
		t.Error("second Close failed")
	}
}

func TestPowerGoodRegisters(t *testing.T) {
	s := newSupply(t)
	pg, err := NewPowerGood(s.Path(), &PowerGoodOpts{Name: "TEST_PG"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := gpioreg.Register(pg); err != nil {
		t.Fatal(err)
	}
	defer gpioreg.Unregister("TEST_PG")
	if p := gpioreg.ByName("TEST_PG"); p == nil || p.Read() != gpio.High {
		t.Errorf("gpioreg.ByName: %v", p)
	}
}
