package scenario

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// holdFault delays the bench by its hold: a fault with MaxDelay, for
// these tests only.
type holdFault struct {
	Hold time.Duration `yaml:"hold"`
}

func (*holdFault) Inject(context.Context, fault.Target) error { return nil }
func (*holdFault) Clear(context.Context, fault.Target) error  { return nil }
func (f *holdFault) MaxDelay() time.Duration                  { return f.Hold }

func init() {
	fault.Register("test_hold", "a delaying fault for scenario tests", func() fault.Fault { return &holdFault{} })
}

// TestValuesThatCanNeverPass: each value is INVALID at its own line:col.
func TestValuesThatCanNeverPass(t *testing.T) {
	head := "name: bounds\ncard: visa-credit\n"
	tests := []struct{ name, doc, want string }{
		{"zero timeout", head + "timeout: 0s\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "f.yaml:3:10: timeout 0s: want a duration above zero"},
		{"negative timeout", head + "timeout: -1s\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "f.yaml:3:10: timeout -1s"},
		{"negative expect.within", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  within: -5s\n", "f.yaml:6:11: within -5s: want a duration above zero"},
		{"zero expect.within", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  within: 0s\n", "f.yaml:6:11: within 0s"},
		{"expect.within over the timeout", head + "timeout: 5s\nsteps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  within: 6s\n", "f.yaml:7:11: expect.within 6s is longer than the scenario's timeout 5s"},
		{"display within negative", head + "steps:\n  - display: {text: PIN, within: -5s}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:34: within -5s"},
		{"display within over the timeout", head + "timeout: 2s\nsteps:\n  - display: {text: PIN, within: 3s}\nexpect: {outcome: APPROVED}\n", "f.yaml:5:34: display within 3s is longer than the scenario's timeout 2s"},
		{"expect step within negative", head + "steps:\n  - expect: {outcome: DECLINED, within: -1s}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:41: within -1s"},
		{"last within over the timeout", head + "timeout: 2s\nsteps:\n  - last: {outcome: APPROVED, within: 5s}\nexpect: {outcome: APPROVED}\n", "f.yaml:5:39: last within 5s is longer"},
		{"wait over the timeout", head + "timeout: 10s\nsteps:\n  - sale: 1\n  - wait: 40s\nexpect: {outcome: APPROVED}\n", "f.yaml:6:11: wait 40s is at least the scenario's timeout 10s"},
		{"waits adding up", head + "timeout: 10s\nsteps:\n  - wait: 4s\n  - sale: 1\n  - wait: 6s\nexpect: {outcome: APPROVED}\n", "f.yaml:7:11: waits add up to 10s here"},
		{"wait with the default timeout", head + "steps:\n  - wait: 30s\nexpect: {outcome: APPROVED}\n", "f.yaml:4:11: wait 30s is at least the scenario's timeout 30s"},
		{"zero wait", head + "steps:\n  - wait: 0s\nexpect: {outcome: APPROVED}\n", "f.yaml:4:11: wait 0s: want a duration above zero"},
		{"negative wait", head + "steps:\n  - wait: -5s\nexpect: {outcome: APPROVED}\n", "f.yaml:4:11: wait -5s"},
		{"fault delaying past the timeout", head + "timeout: 5s\nfaults:\n  - test_hold: {hold: 5s}\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "f.yaml:5:16: fault test_hold delays the bench by up to 5s"},
		{"injected fault delaying past the timeout", head + "timeout: 5s\nsteps:\n  - sale: 1\n  - inject: {test_hold: {hold: 9s}}\nexpect: {outcome: APPROVED}\n", "f.yaml:6:25: fault test_hold delays the bench by up to 9s"},
		{"fault after the timeout", head + "timeout: 5s\nfaults:\n  - test_fault: {}\n    when: {after: 5s}\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "f.yaml:6:19: fault test_fault fires after 5s"},
		{"amount past twelve digits", head + "steps:\n  - sale: 99999999999.99\nexpect: {outcome: APPROVED}\n", "f.yaml:4:11: amount 99999999999.99: more than 9999999999.99"},
		{"amount in a mapping", head + "steps:\n  - sale: {amount: 10000000000.00}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:20: amount 10000000000.00"},
		{"matrix amount", head + "steps: [{sale: 1}]\nmatrix:\n  - amount: 99999999999.99\nexpect: {outcome: APPROVED}\n", "f.yaml:5:13: amount 99999999999.99"},
		{"currency letters", head + "steps:\n  - sale: {amount: 1, currency: EUR}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:33: currency \"EUR\""},
		{"currency 000", head + "steps:\n  - sale: {amount: 1, currency: \"000\"}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:33: currency \"000\""},
		{"tries_left negative", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  tries_left: -1\n", "f.yaml:6:15: tries_left -1"},
		{"tries_left over 15", head + "steps:\n  - expect: {outcome: INCORRECT_PIN, tries_left: 16}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:50: tries_left 16"},
		{"max_retransmits negative", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  max_retransmits: -1\n", "f.yaml:6:20: max_retransmits -1"},
		{"host requests negative", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  host: {requests: -1}\n", "f.yaml:6:20: requests -1"},
		{"host reversals negative", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  host: {reversals: -2}\n", "f.yaml:6:21: reversals -2"},
		{"host within negative", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  host: {within: -1s}\n", "f.yaml:6:18: within -1s"},
		{"host within over the timeout", head + "timeout: 3s\nsteps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  host: {within: 4s}\n", "f.yaml:7:18: expect.host.within 4s is longer"},
		{"remove false", head + "steps:\n  - remove: false\nexpect: {outcome: APPROVED}\n", "f.yaml:4:13: remove: want true"},
		{"swipe false", head + "steps:\n  - swipe: false\nexpect: {outcome: APPROVED}\n", "f.yaml:4:12: swipe: want true"},
		{"key name", head + "steps:\n  - key: menu\nexpect: {outcome: APPROVED}\n", "f.yaml:4:10: key: want enter"},
		{"outcome also under never", head + "steps: [{sale: 1}]\nexpect:\n  never: [APPROVED]\n  outcome: APPROVED\n", "f.yaml:6:12: expect.outcome APPROVED is also listed under never"},
		{"matrix outcome also under never", head + "steps: [{sale: 1}]\nmatrix:\n  - {amount: 2.00, outcome: DECLINED}\nexpect: {outcome: APPROVED, never: [DECLINED]}\n", "f.yaml:5:29: matrix outcome DECLINED is also listed under expect.never"},
		{"unnamed field", head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  fields: {\"\": fallback}\n", "f.yaml:6:11: fields: a RESULT field needs a name"},
		{"label", head + "labels: [ok, \"a b\"]\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "f.yaml:3:14: label \"a b\""},
		{"no card for insert", "name: a\nsteps:\n  - sale: 1\n  - insert: chip\nexpect: {outcome: APPROVED}\n", "f.yaml:4:5: this step presents a card"},
		{"no name", "card: visa-credit\nname: \"\"\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "f.yaml:2:7: scenario needs a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.doc))
			if !errors.Is(err, yamldoc.ErrInvalid) {
				t.Fatalf("got %v, want INVALID", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got\n%v\nwant\n%s...", err, tt.want)
			}
		})
	}
}

// TestBoundsLetGoodValuesThrough: the edges that can pass are accepted.
func TestBoundsLetGoodValuesThrough(t *testing.T) {
	doc := `name: edges
card: visa-credit
timeout: 10s
faults:
  - test_hold: {hold: 9s}
    when: {after: 9s}
steps:
  - sale: {amount: 9999999999.99, currency: "978"}
  - display: {text: PIN, within: 10s}
  - expect: {outcome: INCORRECT_PIN, tries_left: 15, within: 10s}
  - wait: 4s
  - wait: 5.999s
  - remove: true
expect:
  outcome: APPROVED
  within: 10s
  tries_left: 0
  max_retransmits: 0
  host: {requests: 0, reversals: 0, net: 0, within: 10s}
`
	s, err := Parse("f.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Steps[0].Sale.Amount != MaxAmount {
		t.Errorf("amount %v, want %v", s.Steps[0].Sale.Amount, MaxAmount)
	}
}
