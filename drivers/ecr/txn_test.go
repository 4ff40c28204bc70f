package ecr

import "testing"

// A transaction is SALE, REFUND, VOID or a kind with a ref; the messages
// of a transaction in progress and the queries are not.
func TestStartsTransaction(t *testing.T) {
	for _, c := range []struct {
		m    Message
		want bool
	}{
		{Message{Kind: Sale}, true},
		{Message{Kind: Refund}, true},
		{Message{Kind: Void}, true},
		{Message{Kind: "PREAUTH"}.With("ref", "P1"), true},
		{Message{Kind: "PREAUTH"}, false},
		{Message{Kind: Key}.With("ref", "P1"), false},
		{Message{Kind: Last}, false},
		{Message{Kind: Status}, false},
		{Message{Kind: Abort}, false},
	} {
		if got := StartsTransaction(c.m); got != c.want {
			t.Errorf("StartsTransaction(%s %v) = %v, want %v", c.m.Kind, c.m.Fields, got, c.want)
		}
	}
}
