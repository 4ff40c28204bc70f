package scpi_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/scpi"
	"github.com/poshil/poshil/drivers/power/scpi/scpisim"
	"github.com/poshil/poshil/drivers/serial"
)

const mV = physic.MilliVolt

// bench wires an emulated instrument to the master of a real pty pair and
// opens the slave with go.bug.st/serial, as a USB-serial supply is opened.
func bench(t *testing.T, sim *scpisim.Instrument) serial.Port {
	t.Helper()
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, pty.Port()) }()
	port, err := serial.Open(pty.Path(), serial.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		port.Close()
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("instrument did not stop")
		}
		pty.Close()
	})
	return port
}

func TestSupplyOverPTY(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sim := scpisim.New(&scpisim.Opts{IDN: "ACME,PS-1,42,1.0", Nominal: 5 * physic.Volt})
	s, err := scpi.Open(ctx, bench(t, sim), &scpi.Opts{Name: "bench supply"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Identity() != "ACME,PS-1,42,1.0" || s.Nominal() != 5*physic.Volt {
		t.Errorf("identity %q, nominal %v", s.Identity(), s.Nominal())
	}
	if v, err := s.Measure(ctx); err != nil || v != 0 {
		t.Errorf("Measure with output off = %v, %v", v, err)
	}
	if err := s.SetVoltage(ctx, 3900*mV); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutput(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, v := sim.State(); !on || v != 3900*mV {
		t.Errorf("instrument state %v %v, want on at 3.9V", on, v)
	}
	if v, err := s.Measure(ctx); err != nil || v != 3900*mV {
		t.Errorf("Measure = %v, %v; want 3.9V", v, err)
	}
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if on, v := sim.State(); !on || v != 5*physic.Volt {
		t.Errorf("after Halt %v %v, want on at nominal 5V", on, v)
	}
	want := []string{"*CLS", "SYST:ERR?", "*IDN?", "VOLT?", "MEAS:VOLT?", "VOLT 3.900", "SYST:ERR?", "OUTP ON", "SYST:ERR?"}
	if got := sim.Log(); !slices.Equal(got[:len(want)], want) {
		t.Errorf("commands sent:\n%q\nwant them to start\n%q", got, want)
	}
}

func TestInstrumentRefuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sim := scpisim.New(&scpisim.Opts{Max: 6 * physic.Volt})
	s, err := scpi.Open(ctx, bench(t, sim), &scpi.Opts{Nominal: 4200 * mV})
	if err != nil {
		t.Fatal(err)
	}
	err = s.SetVoltage(ctx, 7*physic.Volt)
	var ie *scpi.InstrumentError
	if !errors.As(err, &ie) || ie.Code != -222 || ie.Command != "VOLT 7.000" || !errors.Is(err, power.ErrRange) {
		t.Fatalf("SetVoltage(7V) on a 6V instrument: %v", err)
	}
	// The queue was read to the end: the next command is clean.
	if err := s.SetVoltage(ctx, 3*physic.Volt); err != nil {
		t.Errorf("after a refused command: %v", err)
	}
}

func TestLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sim := scpisim.New(nil)
	s, err := scpi.Open(ctx, bench(t, sim), &scpi.Opts{Nominal: 4200 * mV, Limit: 5 * physic.Volt})
	if err != nil {
		t.Fatal(err)
	}
	n := len(sim.Log())
	for _, v := range []physic.ElectricPotential{5*physic.Volt + mV, -mV} {
		if err := s.SetVoltage(ctx, v); !errors.Is(err, power.ErrRange) {
			t.Errorf("SetVoltage(%v) over the limit: %v", v, err)
		}
	}
	if len(sim.Log()) != n {
		t.Errorf("a voltage over the limit was sent: %q", sim.Log()[n:])
	}
	if _, err := scpi.Open(ctx, bench(t, sim), &scpi.Opts{Nominal: 6 * physic.Volt, Limit: 5 * physic.Volt}); !errors.Is(err, power.ErrRange) {
		t.Errorf("nominal over limit: %v", err)
	}
}

// TestHungInstrument: an instrument that stops answering makes each call
// fail within its bound, and the supply recovers when it answers again.
func TestHungInstrument(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sim := scpisim.New(nil)
	s, err := scpi.Open(ctx, bench(t, sim), &scpi.Opts{Timeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sim.Mute(true)
	start := time.Now()
	_, err = s.Measure(ctx)
	if !errors.Is(err, serial.ErrTimeout) {
		t.Errorf("Measure on a mute instrument: %v", err)
	}
	err = s.SetOutput(ctx, true)
	if !errors.Is(err, serial.ErrTimeout) {
		t.Errorf("SetOutput on a mute instrument: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("two calls took %v with a 150ms bound each", d)
	}
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	start = time.Now()
	if _, err := s.Measure(short); !errors.Is(err, serial.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Measure with a 20ms ctx: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a 20ms ctx took %v", d)
	}
	sim.Mute(false)
	if err := s.SetVoltage(ctx, 3300*mV); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Measure(ctx); err != nil || v != 3300*mV {
		t.Errorf("after recovery: %v, %v", v, err)
	}
}

func TestNoInstrument(t *testing.T) {
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	port, err := serial.Open(pty.Path(), serial.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := scpi.Open(ctx, port, &scpi.Opts{Timeout: 100 * time.Millisecond}); !errors.Is(err, serial.ErrTimeout) {
		t.Errorf("Open with nobody on the line: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Open took %v", d)
	}
}
