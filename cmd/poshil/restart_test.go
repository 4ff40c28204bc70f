package main

import (
	"bytes"
	"testing"

	"github.com/poshil/poshil/harness/verdict"
)

// restartAfterBoot restarts the terminal (a clock fault) right after its
// boot READY: its next boot's READY is byte for byte the same frame (the
// reference terminal numbers its frames from 1 at every boot).
const restartAfterBoot = `name: clock reset right after boot
card: visa-dda
timeout: 30s
steps:
  - inject: {clock: {faketime: "@2000-01-01 00:00:00"}, id: rtc-reset}
  - sale: 13.50
  - insert: chip
  - expect: {outcome: CLOCK_ERROR}
  - remove: true
  - clear: rtc-reset
  - sale: 14.50
  - insert: chip
expect:
  outcome: APPROVED
`

// TestRestartRightAfterBoot: a DUT restarted within the ECR link's
// duplicate window of its boot READY is heard booting again (the link is
// told the peer restarted), not left waiting for a READY that the link
// dropped as a retransmission (it was BENCH_ERROR "terminal did not
// report READY within 10s").
func TestRestartRightAfterBoot(t *testing.T) {
	needBench(t)
	buildRefterm(t)
	out := t.TempDir()
	var both bytes.Buffer
	if code := run([]string{"run", "--out", out, write(t, "restart.yaml", restartAfterBoot)}, &both, &both); code != 0 {
		t.Fatalf("exit %d:\n%s", code, both.String())
	}
	if rec := readRecord(t, out); len(rec.Results) != 1 || rec.Results[0].Class != verdict.Pass {
		t.Errorf("record %+v, want one PASS", rec.Results)
	}
}
