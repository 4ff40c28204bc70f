package scenario

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/yamldoc"
)

const withMutants = `name: m
card: visa-credit
steps: [{sale: 1}, {insert: chip}]
expect: {outcome: DECLINED}
mutants:
  - {name: rc-91-declined, reason: "expected outcome ISSUER_UNAVAILABLE"}
  - name: no-reversal
    reason: reversal
matrix:
  - {amount: 2, mutants: [{name: arc-not-sent, reason: "got DECLINED"}]}
`

func TestMutantsDecode(t *testing.T) {
	s, err := Parse("m.yaml", []byte(withMutants))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mutant{
		{Name: "rc-91-declined", Reason: "expected outcome ISSUER_UNAVAILABLE", Line: 6, Col: 5},
		{Name: "no-reversal", Reason: "reversal", Line: 7, Col: 5},
	}
	if !slices.Equal(s.Mutants, want) {
		t.Errorf("mutants %+v, want %+v", s.Mutants, want)
	}
	vs := s.Expand()
	if got := vs[0].Mutants; len(got) != 1 || got[0].Name != "arc-not-sent" || got[0].Reason != "got DECLINED" || got[0].Line != 10 {
		t.Errorf("variant mutants %+v", got)
	}
	if got := Names(s.Mutants); !slices.Equal(got, []string{"rc-91-declined", "no-reversal"}) {
		t.Errorf("Names %v", got)
	}
}

// A mutant without a reason would accept any FAIL; each problem is
// INVALID at its own place.
func TestMutantsInvalid(t *testing.T) {
	head := "name: m\ncard: visa-credit\nsteps: [{sale: 1}]\nexpect: {outcome: DECLINED}\n"
	cases := []struct{ name, body, want string }{
		{"plain name", "mutants: [no-reversal]\n", `m.yaml:5:11: mutant "no-reversal" needs the reason its FAIL must give`},
		{"no reason", "mutants:\n  - {name: no-reversal}\n", "m.yaml:6:5: mutant no-reversal needs the reason"},
		{"empty reason", "mutants:\n  - {name: no-reversal, reason: \"\"}\n", "m.yaml:6:33: mutant reason: want a non-empty string"},
		{"no name", "mutants:\n  - {reason: x}\n", "m.yaml:6:5: mutant needs a name"},
		{"unknown key", "mutants:\n  - {name: a, reason: x, why: y}\n", `m.yaml:6:26: unknown key "why" in a mutant`},
		{"duplicate key", "mutants:\n  - {name: a, reason: x, name: b}\n", `m.yaml:6:26: duplicate key "name"`},
		{"listed twice", "mutants:\n  - {name: a, reason: x}\n  - {name: a, reason: y}\n", "m.yaml:7:5: mutant a is listed twice"},
		{"twice in a variant", "matrix:\n  - {amount: 2, mutants: [{name: a, reason: x}, {name: a, reason: y}]}\n", "m.yaml:6:49: mutant a is listed twice"},
		{"not a list", "mutants: {name: a, reason: x}\n", "m.yaml:5:10: want a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(head+tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrInvalid) {
				t.Fatalf("err %v, want INVALID with %q", err, tc.want)
			}
		})
	}
}

func TestCheckMutants(t *testing.T) {
	s, err := Parse("m.yaml", []byte(withMutants))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckMutants([]string{"no-reversal", "rc-91-declined"}); err != nil {
		t.Errorf("known names: %v", err)
	}
	err = s.CheckMutants([]string{"no-reversal"})
	if err == nil || !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), `m.yaml:6:5: unknown mutant "rc-91-declined"`) {
		t.Errorf("unknown name: %v", err)
	}
}
