package fault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/yamldoc"
)

// TestImpossibleValuesInvalid: each value that can never make a scenario
// pass is INVALID at its own line:col. The fault entry starts at line 2,
// column 5 ("faults:\n  - ").
func TestImpossibleValuesInvalid(t *testing.T) {
	for _, tc := range []struct{ src, at, msg string }{
		{"net_stall: {}\n    for: 0s", "3:10", "for 0s: want a time above 0"},
		{"net_stall: {}\n    for: -2s", "3:10", "for -2s"},
		{"net_stall: {}\n    id: \"\"", "3:9", "id: want a name"},
		{"net_stall: {}\n    when: {after: 0s}", "3:19", "when.after 0s"},
		{"net_stall: {}\n    when: {after: -1s}", "3:19", "when.after -1s"},
		{"net_stall: {}\n    when: {bytes: 0}", "3:19", "when.bytes 0"},
		{"net_stall: {}\n    when: {apdu: {command: VERIFY, nth: 0}}", "3:41", "apdu.nth 0: matches count from 1"},
		{"net_stall: {}\n    when: {apdu: {ins: \"20\", nth: -1}}", "3:35", "apdu.nth -1"},
		{"net_stall: {}\n    when: {apdu: {ins: \"2G\"}}", "3:24", "apdu.ins \"2G\""},
		{"net_stall: {}\n    when: {ecr: SALE}", "3:17", "when.ecr \"SALE\": the terminal sends"},
		{"net_stall: {}\n    when: {mti: \"200\"}", "3:17", "when.mti \"200\""},
		{"status_word: {command: GPO, sw: \"6985\", nth: 0}", "2:50", "status_word.nth 0: matches count from 1 (leave nth out for every match)"},
		{"status_word: {command: GPO, sw: \"0000\"}", "2:37", "SW1 00 is no status"},
		{"status_word: {command: GPO, sw: \"69G5\"}", "2:37", "want four hex digits"},
		{"card_pulled: {command: GPO, nth: 0}", "2:38", "card_pulled.nth 0"},
		{"slow_card: {command: GPO, delay: 0s}", "2:38", "slow_card.delay"},
		{"slow_card: {command: GPO, delay: -1s}", "2:38", "slow_card.delay"},
		{"sag: {to: 400V}", "2:15", "sag: to 400V is above 60V"},
		{"sag: {to: -3V}", "2:15", "to is required and above 0V"},
		{"sag: {to: 3.9V, nominal: 1000V}", "2:30", "sag: nominal 1000V: want above 0V and at most 60V"},
		{"sag: {to: 3.9V, nominal: -3V}", "2:30", "sag: nominal -3V"},
		{"sag: {to: 4.5V, nominal: 4.2V}", "2:15", "not below the nominal"},
		{"brownout: {from: 3V, to: 4V, ramp: 1s}", "2:30", "to 4V is not below from 3V"},
		{"brownout: {to: 3V, ramp: 0s}", "2:30", "ramp above 0"},
		{"brownout: {to: 3V, ramp: 1s, steps: 0}", "2:41", "steps 0"},
		{"brownout: {from: 70V, to: 3V, ramp: 1s}", "2:22", "from 70V"},
		{"brownout: {to: 3V, ramp: 1s, nominal: 1000V}", "2:43", "brownout: nominal 1000V"},
		{"brownout: {profile: [{to: 3.9V, hold: 0s}, {to: 4.2V}]}", "2:43", "profile step 1: hold 0s"},
		{"brownout: {profile: [{to: 3.9V, hold: 1s}, {to: 400V}]}", "2:53", "profile step 2: to 400V"},
		{"host_decline: {code: \"00\"}", "2:26", "\"00\" approves"},
		{"host_late: {delay: 0s}", "2:24", "host_late: give a positive delay"},
		{"net_delay: {delay: -1s}", "2:24", "net_delay: give a positive delay"},
		{"line_delay: {delay: 0s}", "2:25", "line_delay: give a positive delay"},
		{"expired_app: {expiry: \"4912\"}", "2:27", "not in the past"},
		{"bit_errors: {rate: 1.5}", "2:24", "bit_errors: rate 1.5"},
		{"pin_tries: {left: -1}", "2:23", "pin_tries.left: want 0-15"},
	} {
		_, err := powerSpecs("faults:\n  - " + tc.src + "\n")
		want := "s.yaml:" + tc.at + ": "
		if err == nil || !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s:\n got %v\nwant %s...%s", tc.src, err, want, tc.msg)
		}
	}
}

// TestBoundaryValuesValid: the values at the bounds are accepted.
func TestBoundaryValuesValid(t *testing.T) {
	for _, src := range []string{
		"net_stall: {}\n    for: 1ms",
		"net_stall: {}\n    when: {after: 1ms}",
		"net_stall: {}\n    when: {bytes: 1}",
		"net_stall: {}\n    when: {apdu: {command: VERIFY, nth: 1}}",
		"net_stall: {}\n    when: {ecr: display, text: PIN}",
		"status_word: {command: GPO, sw: \"6985\", nth: 1}",
		"status_word: {command: GPO, sw: \"9000\"}",
		"card_pulled: {command: GPO}",
		"slow_card: {command: GPO, delay: 30s}",
		"sag: {to: 60V}",
		"sag: {to: 3.9V, nominal: 4.2V}",
		"brownout: {from: 4.2V, to: 3.0V, ramp: 300ms, steps: 6}",
		"brownout: {to: 3V, ramp: 1s, steps: 1000, nominal: 60V}",
		"brownout: {profile: [{to: 3.9V, hold: 1ms}, {to: 4.2V}]}",
		"host_decline: {code: \"51\"}",
		"expired_app: {expiry: \"2312\"}",
		"expired_app: {}",
		"pin_tries: {left: 0}",
	} {
		if _, err := powerSpecs("faults:\n  - " + src + "\n"); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}
