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

// TestSCPISupplyBench runs a power cut scenario on a bench whose supply
// is a SCPI instrument on a serial line (the emulated instrument on a
// pseudo-terminal, which the bench file names as a device): the cut
// switches the instrument's output off and back on, the terminal
// recovers as on the emulated supply, and the bench ends in its safe
// state: output on at the nominal voltage.
func TestSCPISupplyBench(t *testing.T) {
	needBench(t)
	buildRefterm(t)
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	psu := scpisim.New(&scpisim.Opts{IDN: "POSHIL,PSU-TEST,0,1.0"})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = psu.Serve(ctx, pty.Port()) }()
	defer func() { cancel(); <-served }()

	_, emulated := benches.Emulated()
	b := strings.Replace(string(emulated), "  supply: emulated ", "  scpi: {port: "+pty.Path()+", baud: 9600}\n  supply: scpi ", 1)
	b = strings.Replace(b, "name: emulated", "name: scpi-psu", 1)
	if !strings.Contains(b, "supply: scpi") {
		t.Fatalf("bench file not rewritten:\n%s", b)
	}
	bench := write(t, "scpi.yaml", b)
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := run([]string{"run", "--bench", bench, "--out", dir, "../../scenarios/power/cut-during-authorisation.yaml"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s\ninstrument log: %q", code, out.String(), errOut.String(), psu.Log())
	}
	r := readRecord(t, dir)
	if len(r.Results) != 1 || r.Results[0].Class != verdict.Pass {
		t.Fatalf("results %+v, want one PASS", r.Results)
	}
	log := psu.Log()
	off := slices.IndexFunc(log, func(c string) bool { return strings.EqualFold(c, "OUTP OFF") })
	on := slices.IndexFunc(log[max(off, 0):], func(c string) bool { return strings.EqualFold(c, "OUTP ON") })
	if off < 0 || on < 0 {
		t.Errorf("the cut never reached the instrument as OUTP OFF then OUTP ON: %q", log)
	}
	if output, v := psu.State(); !output || v != 4200*physic.MilliVolt {
		t.Errorf("after the run the supply is output=%v at %v, want on at the nominal 4.2V", output, v)
	}
}
