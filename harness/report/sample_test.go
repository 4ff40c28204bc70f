package report

import (
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/verdict"
)

// xss is a scenario name that must come out escaped.
const xss = `<script>alert("x")</script>`

func hexb(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// apdus is a chip transaction with a wrong PIN, decoded as the runner
// would (one Decoder per card session).
func apdus(pinSW string) []evidence.APDUEntry {
	var d evidence.Decoder
	var out []evidence.APDUEntry
	at := 180 * time.Millisecond
	add := func(c, r string) {
		e := d.Decode(hexb(c), hexb(r))
		e.At, e.Took = at, 120*time.Microsecond
		at += 3 * time.Millisecond
		out = append(out, e)
	}
	add("00A404000E325041592E5359532E444446303100", "6F 1E 84 0E 325041592E5359532E4444463031 A5 0C BF0C 09 61 07 4F 05 A000000003 9000")
	add("00A4040007A000000003101000", "6F 1B 84 07 A0000000031010 A5 10 50 0B 5649534120435245444954 87 01 01 9000")
	add("80A8000002830000", "77 0E 82 02 1800 94 08 08010100 10010200 9000")
	add("00B2010C00", "70 34 57 13 4761739001010010D49122011234567899999F 5F20 0F 56495341204143515549524552202F 5F24 03 491231 9F1F 04 31323334 9000")
	add("00B2011400", "70 20 5A 08 4761739001010010 5F34 01 01 8C 10 9F0206 9F0306 9F1A02 9505 5F2A02 9A03 9000")
	add("80CA9F1700", "9F17 01 03 9000")
	add("0020008008241234FFFFFFFFFF", pinSW)
	return out
}

func host(start time.Time, rc string) []evidence.HostEntry {
	req := &acquirer.Txn{MTI: "0200", PAN: "4761739001010010", ProcessingCode: "000000", Amount: 2000, STAN: 42,
		TransmissionTime: start, EntryMode: "051", TerminalID: "POSHIL01", MerchantID: "POSHIL-MERCHANT", Currency: "978",
		ICC: hexb("9F2608 F6B9918A907C0F8D 9F2701 80 9F3602 0001 9F0206 000000002000")}
	resp := &acquirer.Txn{MTI: "0210", PAN: "4761739001010010", ProcessingCode: "000000", Amount: 2000, STAN: 42, RRN: "000000000042", ResponseCode: rc, TerminalID: "POSHIL01"}
	if rc == "00" {
		resp.AuthCode = "A00042"
	}
	return evidence.HostEntries([]acquirer.Record{
		{Seq: 1, Time: start.Add(260 * time.Millisecond), Dir: acquirer.In, Conn: 1, Txn: req, Raw: 180},
		{Seq: 2, Time: start.Add(262 * time.Millisecond), Dir: acquirer.Out, Conn: 1, Txn: resp, Raw: 90},
	}, start)
}

func lines(ls ...string) []verdict.Line {
	var out []verdict.Line
	for i := 0; i+2 < len(ls); i += 3 {
		d, err := time.ParseDuration(ls[i])
		if err != nil {
			panic(err)
		}
		out = append(out, verdict.Line{At: d, Source: ls[i+1], Text: ls[i+2]})
	}
	return out
}

// sampleRecord is a run with one of each verdict, the evidence a real run
// leaves, and hostile text.
func sampleRecord() Record {
	start := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	fail := verdict.Result{
		Scenario: "one wrong PIN, then the right one", File: "scenarios/chip/one-wrong-pin.yaml", Labels: []string{"chip", "pin"},
		Class: verdict.Fail, Started: start, Duration: 412 * time.Millisecond, Outcome: "DECLINED",
		Reason: "step 5 (scenarios/chip/one-wrong-pin.yaml:14:5, expect INCORRECT_PIN): expected INCORRECT_PIN with 2 tries left, got RESULT DECLINED",
		Evidence: &verdict.Evidence{
			Transcript: lines(
				"0s", "poshil", "step 1: sale 20.00",
				"1ms", "ecr", "SALE amount=2000 currency=978",
				"3ms", "dut", "DISPLAY text=INSERT CARD",
				"150ms", "poshil", "step 2: insert chip",
				"205ms", "dut", "DISPLAY text=ENTER PIN",
				"210ms", "ecr", "KEY keys=****E",
				"240ms", "dut", "RESULT code=DECLINED",
				"241ms", "poshil", "verdict FAIL"),
			Events: []evidence.TimelineEntry{{At: 170 * time.Millisecond, Source: "card", Kind: "power_on", Text: "card power_on"}},
			Faults: []evidence.TimelineEntry{
				{At: 0, Source: "fault", Kind: "armed", Text: "armed status_word on APDU VERIFY"},
				{At: 198 * time.Millisecond, Source: "fault", Kind: "injected", Text: "injected status_word (on APDU VERIFY)"},
				{At: 243 * time.Millisecond, Source: "fault", Kind: "cleared", Text: "cleared status_word"},
			},
			APDUs:        apdus("63C2"),
			Host:         host(start, "05"),
			Measurements: []evidence.Measurement{evidence.Millis("time_to_result_ms", 240*time.Millisecond, 2*time.Second)},
			DUTLog:       "refterm: booted\nrefterm: card 476173******0010 inserted\n",
		},
	}
	pass := verdict.Result{
		Scenario: "approved chip sale", File: "scenarios/chip/approved-sale.yaml", Labels: []string{"chip", "pin", "smoke"},
		Class: verdict.Pass, Started: start.Add(time.Second), Duration: 330 * time.Millisecond, Outcome: "APPROVED",
		Evidence: &verdict.Evidence{
			Transcript:   lines("0s", "poshil", "step 1: sale 12.50", "1ms", "ecr", "SALE amount=1250", "280ms", "dut", "RESULT code=APPROVED"),
			APDUs:        apdus("9000"),
			Host:         host(start.Add(time.Second), "00"),
			Measurements: []evidence.Measurement{evidence.Millis("time_to_result_ms", 281*time.Millisecond, 10*time.Second)},
		},
	}
	bench := verdict.Result{
		Scenario: "host declines with 51, insufficient funds", File: "scenarios/host/insufficient-funds.yaml", Labels: []string{"chip", "host"},
		Class: verdict.BenchError, Started: start.Add(2 * time.Second), Duration: 5 * time.Second,
		Reason: verdict.Bench("card reader", errors.New("pcscd: reader \"Virtual PCD 00 00\" vanished")).Error(),
	}
	invalid := verdict.Result{
		Scenario: xss, File: "scenarios/bad.yaml", Class: verdict.Invalid, Started: start.Add(3 * time.Second),
		Reason: `scenarios/bad.yaml:4:1: unknown key "colour" in scenario </pre><img src=x onerror=alert(1)>`,
	}
	return Record{
		Run:     Run{Started: start, Finished: start.Add(9 * time.Second), Bench: "emulated", Host: "ci-runner-3", Version: "v0.3.0"},
		Results: []verdict.Result{pass, fail, bench, invalid},
	}
}
