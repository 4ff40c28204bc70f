package outcome

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The bank refusals of the account map to outcomes of their own, never to
// plain DECLINED, and each new code is canonical (a scenario may name it).
func TestBankRefusals(t *testing.T) {
	for rc, want := range map[string]Code{
		"62": RestrictedCard, "57": NotPermitted, "58": NotPermitted,
		"61": ExceedsLimit, "65": ExceedsLimit, "01": CallIssuer, "02": CallIssuer,
		"59": SuspectedFraud, "91": IssuerUnavailable, "93": Declined,
	} {
		if got := FromHostResponse(rc); got != want {
			t.Errorf("FromHostResponse(%q) = %s, want %s", rc, got, want)
		}
		if !want.Valid() {
			t.Errorf("%s is not in All", want)
		}
	}
}

// TestHostResponses: the approvals, the card and PIN refusals, the
// security refusal (63: a MAC the host would not trust, never DECLINED)
// and an unknown code (DECLINED, never APPROVED).
func TestHostResponses(t *testing.T) {
	for rc, want := range map[string]Code{
		"00": Approved, "08": Approved, "10": Approved, "11": Approved,
		"51": InsufficientFunds, "55": IncorrectPIN, "75": PINTriesExceeded,
		"54": ExpiredCard, "14": InvalidCard, "96": SystemError, "63": SecurityError,
		"05": Declined, "Z3": Declined, "": Declined,
	} {
		if got := FromHostResponse(rc); got != want {
			t.Errorf("FromHostResponse(%q) = %s, want %s", rc, got, want)
		}
	}
}

// TestAllHoldsEveryCode: every Code constant declared in this package is
// in All, once (a code left out could not be named by a scenario), and
// its value is its own upper-case name.
func TestAllHoldsEveryCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "outcome.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []Code
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, v := range vs.Values {
				lit := v.(*ast.BasicLit)
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				declared = append(declared, Code(s))
			}
		}
	}
	if len(declared) < 30 {
		t.Fatalf("found %d Code constants: the parse is wrong", len(declared))
	}
	for _, c := range declared {
		if n := strings.Count(","+joined(All)+",", ","+string(c)+","); n != 1 {
			t.Errorf("%s is %d times in All, want once", c, n)
		}
		if string(c) != strings.ToUpper(string(c)) {
			t.Errorf("%s: want upper case", c)
		}
	}
	if len(All) != len(declared) {
		t.Errorf("All has %d codes, %d are declared", len(All), len(declared))
	}
}

func joined(cs []Code) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}

// TestUnmarshalYAML: a scenario's outcome is any canonical code in any
// case; anything else is refused with the list of codes.
func TestUnmarshalYAML(t *testing.T) {
	var c Code
	if err := yaml.Unmarshal([]byte("security_error"), &c); err != nil || c != SecurityError {
		t.Errorf("security_error: %s, %v", c, err)
	}
	for _, bad := range []string{"APPROVE", "[APPROVED]", "''"} {
		err := yaml.Unmarshal([]byte(bad), &c)
		if err == nil || !strings.Contains(err.Error(), "want one of APPROVED, DECLINED") {
			t.Errorf("%s: %v, want refused with the codes listed", bad, err)
		}
	}
	if !slices.Contains(All, ClockError) {
		t.Error("CLOCK_ERROR not canonical")
	}
}
