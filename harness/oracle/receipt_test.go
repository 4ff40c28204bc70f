package oracle

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

const testPAN = "4761730000000010"

func TestPANShown(t *testing.T) {
	for _, tc := range []struct {
		line string
		bad  bool
	}{
		{"CARD ************0010", false},
		{"CARD **** **** **** 0010", false},
		{"CARD XXXX-XXXX-XXXX-0010", false},
		{"STAN 000001", false},
		{"AMOUNT 12.50 978", false},
		{"2026-12-05 05:00:00", false},
		{"RRN 123456789012", false},
		{"CARD 476173******0010", true},
		{"CARD 4761 73** **** 0010", true},
		{"CARD 4761730000000010", true},
		{"BIN 476173", true},
		{"CARD *******0000**0010", true},
	} {
		got := panShown(testPAN, tc.line)
		if (got != "") != tc.bad {
			t.Errorf("%q: %q, want bad=%v", tc.line, got, tc.bad)
		}
		if strings.Contains(got, "476173") {
			t.Errorf("%q: the finding quotes PAN digits: %q", tc.line, got)
		}
	}
}

func receiptExpect(t *testing.T, src string) *scenario.Expect {
	t.Helper()
	var doc struct {
		Expect scenario.Expect `yaml:"expect"`
	}
	if err := yamldoc.Decode("s.yaml", []byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return &doc.Expect
}

func failedChecks(err error) []string {
	var out []string
	var fs Failures
	if errors.As(err, &fs) {
		for _, f := range fs {
			out = append(out, f.Check)
		}
	}
	return out
}

func TestReceiptChecks(t *testing.T) {
	first := Receipt{Lines: []string{"SALE", "CARD ************0010", "STAN 000001", "RESULT APPROVED"}, Cut: true}
	copyOf := Receipt{Lines: append(append([]string(nil), first.Lines...), "*** DUPLICATE ***"), Cut: true}
	other := Receipt{Lines: []string{"SALE", "CARD ************0010", "STAN 000002", "RESULT APPROVED"}, Cut: true}
	partial := Receipt{Lines: first.Lines[:2]}
	fullPAN := Receipt{Lines: []string{"CARD 476173******0010"}, Cut: true}
	exp := receiptExpect(t, "expect:\n  outcome: APPROVED\n  receipt: {count: 2, contains: [approved, \"STAN 000001\"], lacks: [DECLINED], same: true}\n")
	for _, tc := range []struct {
		name string
		rs   []Receipt
		want []string
	}{
		{"receipt and copy", []Receipt{first, copyOf}, nil},
		{"partial then copy", []Receipt{partial, copyOf}, nil},
		{"copy of another sale", []Receipt{first, other}, []string{"expect.receipt.contains", "expect.receipt.same"}},
		{"one receipt", []Receipt{first}, []string{"expect.receipt.count", "expect.receipt.same"}},
		{"none", nil, []string{"expect.receipt.count", "expect.receipt"}},
		{"declined on one", []Receipt{{Lines: []string{"DECLINED"}}, copyOf}, []string{"expect.receipt.lacks", "expect.receipt.same"}},
		{"full PAN", []Receipt{fullPAN, copyOf}, []string{"receipt PAN truncation", "expect.receipt.same"}},
	} {
		l := Log{Receipts: tc.rs, PAN: testPAN}
		j := newJudge("s.yaml", exp, l)
		j.panRule()
		j.receipts()
		var got []string
		for _, f := range j.fails {
			got = append(got, f.Check)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: failed %v, want %v (%v)", tc.name, got, tc.want, j.fails)
		}
	}
}

func TestPANRuleHoldsWithoutExpect(t *testing.T) {
	exp := receiptExpect(t, "expect:\n  outcome: APPROVED\n")
	l := Log{Receipts: []Receipt{{Lines: []string{"CARD 4761730000000010"}}}, PAN: testPAN}
	err := Hold("s.yaml", exp, l)
	if got := failedChecks(err); len(got) != 1 || got[0] != "receipt PAN truncation" {
		t.Fatalf("Hold: %v", err)
	}
	if strings.Contains(err.Error(), "476173") {
		t.Fatalf("the failure shows the PAN: %v", err)
	}
}

// FuzzPANShown: any receipt line is judged without a panic, and a finding
// never quotes the PAN's digits.
func FuzzPANShown(f *testing.F) {
	f.Add("CARD 476173******0010")
	f.Add("CARD **** **** **** 0010")
	f.Add("4761 7300-0000 0010 STAN 000001")
	f.Fuzz(func(t *testing.T, line string) {
		got := panShown(testPAN, line)
		if strings.Contains(got, testPAN[:6]) {
			t.Fatalf("%q: finding %q quotes the PAN", line, got)
		}
		if strings.Contains(line, testPAN) && got == "" {
			t.Fatalf("%q holds the whole PAN and passes", line)
		}
	})
}
