package scenario

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/yamldoc"
)

func TestReceiptAndReprintYAML(t *testing.T) {
	ok := "name: r\ncard: visa-credit\nsteps:\n  - sale: 1\n  - reprint: true\nexpect:\n  outcome: APPROVED\n  receipt: {count: 2, contains: [APPROVED, \"12.50\"], lacks: [DECLINED], same: true}\n"
	sc, err := Parse("s.yaml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Expect.Receipt
	if r == nil || *r.Count != 2 || !r.Same || len(r.Contains) != 2 || r.Lacks[0] != "DECLINED" {
		t.Fatalf("receipt %+v", r)
	}
	if r.At.Count.Line != 8 || r.At.ContainsAt(1).Col != 44 || r.At.LacksAt(0).Line != 8 {
		t.Errorf("positions %+v", r.At)
	}
	if sc.Steps[1].Reprint == nil || sc.Steps[1].Name() != "reprint the last receipt" {
		t.Errorf("step %+v", sc.Steps[1])
	}
	for _, tc := range []struct{ src, want string }{
		{strings.Replace(ok, "reprint: true", "reprint: false", 1), "s.yaml:5:14: reprint: want true"},
		{strings.Replace(ok, "{count: 2, contains: [APPROVED, \"12.50\"], lacks: [DECLINED], same: true}", "{}", 1), "s.yaml:8:12: expect.receipt needs count, contains, lacks or same"},
		{strings.Replace(ok, "count: 2", "count: -1", 1), "s.yaml:8:20: count -1"},
		{strings.Replace(ok, "same: true", "sme: true", 1), `unknown key "sme"`},
	} {
		_, err := Parse("s.yaml", []byte(tc.src))
		if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}
