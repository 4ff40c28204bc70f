package verdict

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/secrets"
)

// TestEncodings: a result already encoded is not encoded again; a new one
// is, scrubbed first; a replaced result (another start) is encoded again;
// another file starts afresh, keeping nothing of the first.
func TestEncodings(t *testing.T) {
	var e Encodings
	calls := 0
	enc := func(r *Result) ([]byte, error) { calls++; return []byte(r.Scenario + ":" + r.Reason), nil }
	t0 := time.Unix(1000, 0)
	sc := secrets.New(secrets.Card{PAN: "4761739001010010"})
	rs := []Result{{Scenario: "one", File: "a.yaml", Started: t0, Reason: "pan 4761739001010010", Secrets: sc}}
	got, err := e.Update("f", rs, enc)
	if err != nil || calls != 1 || len(got) != 1 || strings.Contains(string(got[0]), "4761739001010010") {
		t.Fatalf("first: %q %v, %d encodings: want one, scrubbed", got, err, calls)
	}
	rs = append(rs, Result{Scenario: "two", File: "a.yaml", Started: t0.Add(time.Second)})
	if got, _ = e.Update("f", rs, enc); calls != 2 || len(got) != 2 {
		t.Errorf("second: %q, %d encodings: want the new one only", got, calls)
	}
	rs[1].Started = t0.Add(2 * time.Second) // replaced
	if _, err := e.Update("f", rs, enc); err != nil || calls != 3 {
		t.Errorf("a replaced result: %d encodings, want it encoded again", calls)
	}
	got, _ = e.Update("g", []Result{{Scenario: "other", Started: t0}}, enc)
	if calls != 4 || !slices.EqualFunc(got, [][]byte{[]byte("other:")}, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("another file: %q after %d encodings, want only other", got, calls)
	}
	fail := fmt.Errorf("boom")
	if _, err := e.Update("g", []Result{{Scenario: "other", Started: t0}, {Scenario: "bad"}}, func(*Result) ([]byte, error) { return nil, fail }); err != fail {
		t.Errorf("encoding error: %v", err)
	}
}
