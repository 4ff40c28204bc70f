package outcome

import "testing"

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
