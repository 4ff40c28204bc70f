// Package verdict classifies how a scenario ended and maps a
// run's verdicts onto the CLI's exit code. Exactly one class per scenario:
// the rig breaking is never blamed on the firmware.
//
// It is not the checking itself (package runner) nor a report format.
package verdict

import (
	"errors"
	"fmt"
	"time"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/secrets"
)

// Class is a scenario's verdict.
type Class string

// The four verdicts.
const (
	Pass       Class = "PASS"
	Fail       Class = "FAIL"        // the DUT reported the wrong thing
	BenchError Class = "BENCH_ERROR" // the rig broke; retryable
	Invalid    Class = "INVALID"     // the scenario or bench file is wrong
)

// Exit codes of `poshil run` and `poshil validate`.
const (
	ExitPass       = 0
	ExitFail       = 1
	ExitBenchError = 2
	ExitInvalid    = 3
)

// ErrBench marks an error as the rig's fault (port gone, pcscd down, reader
// vanished). Wrap with Bench.
var ErrBench = errors.New("bench error")

// Bench wraps err as a bench error naming the part.
func Bench(part string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w: %w", part, ErrBench, err)
}

// Result is one scenario's verdict with its reason.
type Result struct {
	Scenario string        `json:"scenario"`
	File     string        `json:"file"`
	Labels   []string      `json:"labels,omitempty"`
	Class    Class         `json:"verdict"`
	Reason   string        `json:"reason,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// Outcome is the final code the DUT reported, if any.
	Outcome string `json:"outcome,omitempty"`
	// Unfired names the scenario's faults that never fired (their
	// trigger never came), each with its trigger.
	Unfired []string `json:"unfired,omitempty"`
	// Evidence is the scenario's record (transcript, APDUs, host messages).
	Evidence *Evidence `json:"evidence,omitempty"`
	// Secrets knows the secrets the scenario put on the bench; every output
	// made from the result (junit.xml, record.json, report.html, pcapng)
	// is scrubbed with it last. Never written; nil for a result read back
	// from a record (unknown card data is still masked).
	Secrets *secrets.Scrubber `json:"-"`
}

// Evidence is what a scenario leaves behind. Card data is masked before it
// gets here: no full PAN, no PIN, no PIN block.
type Evidence struct {
	Transcript []Line `json:"transcript,omitempty"`
	DUTLog     string `json:"dut_log,omitempty"`
	// APDUs is the decoded card trace (evidence.APDULog, evidence.Tap).
	APDUs []evidence.APDUEntry `json:"apdus,omitempty"`
	// Host is every ISO 8583 message of the emulated acquirer's journal
	// (evidence.HostEntries).
	Host []evidence.HostEntry `json:"host,omitempty"`
	// Faults is the fault, power and line timeline: armed, injected,
	// cleared, supply changes.
	Faults []evidence.TimelineEntry `json:"faults,omitempty"`
	// Events are other bench events: card power and reset, insert and
	// remove, MSR swipes.
	Events []evidence.TimelineEntry `json:"events,omitempty"`
	// Measurements are numbers taken with units and limits
	// (time_to_result_ms, recovery_ms).
	Measurements []evidence.Measurement `json:"measurements,omitempty"`
	// Pcap is the scenario's APDU and ISO 8583 trace as pcapng, a path
	// relative to the record's directory.
	Pcap string `json:"pcap,omitempty"`
	// Receipts are the receipts the emulated printer printed, scrubbed.
	Receipts []evidence.Receipt `json:"receipts,omitempty"`
}

// Line is one timestamped line of evidence.
type Line struct {
	At     time.Duration `json:"at_ns"` // since the scenario started
	Source string        `json:"source"`
	Text   string        `json:"text"`
}

// Rank orders classes by how bad they are for the exit code.
func (c Class) rank() int {
	switch c {
	case Pass:
		return 0
	case Fail:
		return 1
	case BenchError:
		return 2
	case Invalid:
		return 3
	}
	return 3
}

// ExitCode is the CLI exit code for a run: the worst class wins, with
// INVALID > BENCH_ERROR > FAIL > PASS.
func ExitCode(rs []Result) int {
	worst := Pass
	for _, r := range rs {
		if r.Class.rank() > worst.rank() {
			worst = r.Class
		}
	}
	return worst.rank()
}

// Counts tallies results by class.
func Counts(rs []Result) map[Class]int {
	m := map[Class]int{}
	for _, r := range rs {
		m[r.Class]++
	}
	return m
}
