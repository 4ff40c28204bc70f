package scenario

import (
	"strings"
	"testing"
)

// The transaction steps decode, and what can never run is INVALID at its
// place: a void with no sale before it, a type that is no transaction.
func TestTransactionSteps(t *testing.T) {
	const head = "name: t\ncard: visa-credit\n"
	good := head + "steps:\n  - sale: 12.50\n  - void: true\n  - refund: 5.00\n  - transaction: {type: PreAuth, amount: 3}\nexpect:\n  outcome: APPROVED\n  host: {net: -500}\n"
	sc, err := Parse("f.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if st := sc.Steps; st[1].Void == nil || st[2].Refund == nil || st[2].Refund.Amount != 500 ||
		st[3].Transaction == nil || st[3].Transaction.Type != "preauth" || st[3].Transaction.Amount != 300 {
		t.Errorf("steps decoded as %+v", st)
	}
	if *sc.Expect.Host.Net != -500 {
		t.Errorf("net %d, want -500 (a refund credits)", *sc.Expect.Host.Net)
	}
	for _, c := range []struct{ name, doc, want string }{
		{"void first", head + "steps:\n  - void: true\n  - sale: 1\nexpect: {outcome: APPROVED}\n", "f.yaml:4:11: void: no sale step before it"},
		{"void false", head + "steps:\n  - sale: 1\n  - void: false\nexpect: {outcome: APPROVED}\n", "f.yaml:5:11: void: want true"},
		{"no type", head + "steps:\n  - transaction: {amount: 1}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:18: transaction needs a type"},
		{"key", head + "steps:\n  - transaction: {type: key}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:25: transaction type \"key\" is an ECR message that starts no transaction"},
		{"bad kind", head + "steps:\n  - transaction: {type: pre auth}\nexpect: {outcome: APPROVED}\n", "f.yaml:4:25: transaction type \"pre auth\""},
	} {
		_, err := Parse("f.yaml", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestBusyStep: `busy: true` waits for the terminal to refuse the last
// transaction with BUSY; `busy: false` means nothing and is INVALID at
// its place.
func TestBusyStep(t *testing.T) {
	const head = "name: t\ncard: visa-credit\n"
	sc, err := Parse("f.yaml", []byte(head+"steps:\n  - sale: 1\n  - busy: true\n  - sale: 1\nexpect: {outcome: APPROVED}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st := sc.Steps[1]; st.Busy == nil || !*st.Busy || !strings.Contains(st.Name(), "BUSY") {
		t.Errorf("step decoded as %+v (%s)", st, st.Name())
	}
	_, err = Parse("f.yaml", []byte(head+"steps:\n  - sale: 1\n  - busy: false\nexpect: {outcome: APPROVED}\n"))
	if want := "f.yaml:5:11: busy: want true"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("busy: false: %v, want %q", err, want)
	}
}
