package scenario

import (
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/outcome"
)

const good = `name: approved
labels: [chip, smoke]
card: visa-credit
steps:
  - sale: 12.5
  - insert: chip
  - display: {text: ENTER PIN, within: 2s}
  - pin: correct
  - key: cancel
  - expect: {outcome: INCORRECT_PIN, tries_left: 2}
  - remove: true
expect:
  outcome: APPROVED
  never: [DECLINED]
  host: {requests: 1}
`

func TestParseGood(t *testing.T) {
	s, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if s.Steps[0].Sale.Amount != 1250 || s.Card.Name != "visa-credit" || s.Card.Line != 3 || s.Expect.Outcome != outcome.Approved {
		t.Errorf("decoded %+v", s)
	}
	if s.Timeout != DefaultTimeout {
		t.Errorf("timeout %v, want default", s.Timeout)
	}
	if got := s.Steps[5].Expect; got.Outcome != outcome.IncorrectPIN || *got.TriesLeft != 2 {
		t.Errorf("expect step %+v", got)
	}
	if s.Steps[2].Line != 7 || s.Steps[2].Col != 5 {
		t.Errorf("step position %d:%d", s.Steps[2].Line, s.Steps[2].Col)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown top key", "name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\ncolour: red\n", "s.yaml:4:1: unknown key \"colour\""},
		{"unknown step", "name: a\nsteps:\n  - tap: now\nexpect: {outcome: APPROVED}\n", "s.yaml:3:5: unknown key \"tap\" in step"},
		{"two actions", "name: a\nsteps:\n  - {sale: 1, key: enter}\nexpect: {outcome: APPROVED}\n", "s.yaml:3:5: a step is one action"},
		{"bad amount", "name: a\nsteps:\n  - sale: 1.234\nexpect: {outcome: APPROVED}\n", "s.yaml:3:11: amount \"1.234\""},
		{"unknown outcome", "name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVD}\n", "s.yaml:3:19: unknown outcome \"APPROVD\""},
		{"no outcome", "name: a\nsteps: [{sale: 1}]\nexpect: {}\n", "expect needs an outcome"},
		{"no steps", "name: a\nexpect: {outcome: APPROVED}\n", "s.yaml:1:1: scenario needs at least one step"},
		{"card needed", "name: a\nsteps: [{insert: chip}]\nexpect: {outcome: APPROVED}\n", "needs card"},
		{"bad pin", "name: a\ncard: x\nsteps: [{pin: \"1234\"}]\nexpect: {outcome: APPROVED}\n", "pin: want correct or wrong"},
		{"never contradicts", "name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED, never: [APPROVED]}\n", "also listed under never"},
		{"bad label", "name: a\nlabels: [\"a b\"]\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "label \"a b\""},
		{"wrong type", "name: a\ntimeout: soon\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", "s.yaml:2:10: want a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	mk := func(labels ...string) *Scenario { return &Scenario{Name: strings.Join(labels, "+"), Labels: labels} }
	all := []*Scenario{mk("chip", "pin"), mk("chip"), mk("host")}
	got, err := Filter(all, "chip && !pin")
	if err != nil || len(got) != 1 || got[0].Name != "chip" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := Filter(all, "chip &&"); err == nil {
		t.Fatal("bad filter accepted")
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]Amount{"12.50": 1250, "12.5": 1250, "12": 1200, "0.01": 1} {
		if got, err := ParseAmount(in); err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1.", ".5", "1.234", "-1", "abc", "1e3"} {
		if _, err := ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("fuzz.yaml", data)
	})
}

func TestMatrix(t *testing.T) {
	doc := `name: sale
card: visa-credit
steps: [{sale: 1}, {insert: chip}]
expect: {outcome: APPROVED}
matrix:
  - {card: mc-debit}
  - {amount: 51.00, outcome: INSUFFICIENT_FUNDS}
  - {name: big, amount: 61.00, outcome: EXCEEDS_LIMIT}
`
	s, err := Parse("m.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	vs := s.Expand()
	if len(vs) != 3 {
		t.Fatalf("%d variants", len(vs))
	}
	if vs[0].Card.Name != "mc-debit" || vs[0].Steps[0].Sale.Amount != 100 || vs[0].Name != "sale [mc-debit]" {
		t.Errorf("variant 0: %+v", vs[0])
	}
	if vs[1].Steps[0].Sale.Amount != 5100 || vs[1].Expect.Outcome != outcome.InsufficientFunds || vs[1].Card.Name != "visa-credit" {
		t.Errorf("variant 1: %+v", vs[1])
	}
	if s.Steps[0].Sale.Amount != 100 {
		t.Error("expanding changed the original")
	}
	if vs[2].Name != "sale [big]" {
		t.Errorf("variant 2 name %q", vs[2].Name)
	}
	if _, err := Parse("m.yaml", []byte("name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\nmatrix: [{}]\n")); err == nil || !strings.Contains(err.Error(), "m.yaml:4:10: a matrix variant changes") {
		t.Errorf("empty variant: %v", err)
	}
}
