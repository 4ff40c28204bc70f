package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power/scpi/scpisim"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/verdict"
)

// shippedPower is the shipped bench's power block.
const shippedPower = "power:\n  supply: emulated     # the DUT reads it through its state file as an ADC (periph.io)\n  nominal: 4.2V\n"

// powerBench is the shipped bench named name with block as its power
// part; the reference terminal senses no supply (no state file).
func powerBench(t *testing.T, name, block string) string {
	t.Helper()
	_, emulated := benches.Emulated()
	b := strings.Replace(string(emulated), shippedPower, block, 1)
	b = strings.Replace(b, `state_file: "{supply}"`, `state_file: ""`, 1)
	b = strings.Replace(b, "name: emulated", "name: "+name, 1)
	if !strings.Contains(b, block) || strings.Contains(b, "{supply}") {
		t.Fatalf("bench file not rewritten:\n%s", b)
	}
	return write(t, name+".yaml", b)
}

// TestScenarioOnSCPISupply runs the power cut scenario on a bench whose
// supply is a SCPI instrument on a serial line: scpisim serves a pty's
// master, the bench file names the slave. The cut reaches the instrument
// (OUTP OFF, then OUTP ON), the terminal recovers (PASS), and the safe
// state leaves the instrument on at the bench's nominal voltage.
func TestScenarioOnSCPISupply(t *testing.T) {
	needBench(t)
	buildRefterm(t)
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	in := scpisim.New(&scpisim.Opts{IDN: "POSHIL,SCPISIM,BENCH1,1.0", Nominal: 3 * physic.Volt})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- in.Serve(ctx, pty.Port()) }()
	defer func() { cancel(); <-served }()

	bench := powerBench(t, "scpi-power", "power:\n  supply: scpi\n  port: "+pty.Path()+"\n  baud: 9600\n  nominal: 5V\n  limit: 5.5V\n  timeout: 2s\n")
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := run([]string{"run", "--bench", bench, "--out", dir, "../../scenarios/power/cut-during-authorisation.yaml"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s\ninstrument saw %q", code, out.String(), errOut.String(), in.Log())
	}
	r := readRecord(t, dir)
	if len(r.Results) != 1 || r.Results[0].Class != verdict.Pass {
		t.Fatalf("results %+v", r.Results)
	}
	log := in.Log()
	off := slices.Index(log, "OUTP OFF")
	if off < 0 || !slices.Contains(log[off:], "OUTP ON") {
		t.Errorf("instrument saw %q, want OUTP OFF then OUTP ON", log)
	}
	if on, v := in.State(); !on || v != 5*physic.Volt {
		t.Errorf("after the run: output %v at %v, want on at 5V (the safe state)", on, v)
	}
	ev := r.Results[0].Evidence
	if ev == nil || !slices.ContainsFunc(ev.Transcript, func(l verdict.Line) bool { return strings.Contains(l.Text, "POSHIL,SCPISIM,BENCH1") }) {
		t.Errorf("the instrument's *IDN? answer is not in the transcript")
	}
}

// TestRelayMissingPin: a bench whose relay names a GPIO pin the host does
// not have (periph.io's real host drivers) is BENCH_ERROR naming the pin.
func TestRelayMissingPin(t *testing.T) {
	needBench(t)
	buildRefterm(t)
	bench := powerBench(t, "relay-power", "power:\n  supply: relay\n  pin: GPIO_POSHIL_NONE\n  nominal: 12V\n")
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := run([]string{"run", "--bench", bench, "--out", dir, "../../scenarios/power/cut-during-authorisation.yaml"}, &out, &errOut)
	all := out.String() + errOut.String()
	if code != verdict.ExitBenchError || !strings.Contains(all, "GPIO_POSHIL_NONE") {
		t.Errorf("exit %d, want %d naming the pin:\n%s", code, verdict.ExitBenchError, all)
	}
}
