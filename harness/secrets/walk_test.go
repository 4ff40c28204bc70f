package secrets

import (
	"strings"
	"testing"
)

type walkLine struct{ Text string }

type walkRecord struct {
	Name    string
	Lines   []walkLine
	Ptr     *walkLine
	Any     any
	Notes   map[string]string
	ByKey   map[string]walkLine
	Raw     []byte
	Arr     [2]string
	private string
}

// TestWalk: every string and byte slice reachable from a record is
// scrubbed, whatever holds it.
func TestWalk(t *testing.T) {
	const pan = "4761 7390 0101 0010"
	r := walkRecord{
		Name:    pan,
		Lines:   []walkLine{{"DUT: " + pan}},
		Ptr:     &walkLine{"ptr " + pan},
		Any:     walkLine{"any " + pan},
		Notes:   map[string]string{"k": pan},
		ByKey:   map[string]walkLine{"k": {pan}},
		Raw:     []byte("raw 4761739001010010"),
		Arr:     [2]string{"", pan},
		private: pan,
	}
	New(visa).Walk(&r)
	got := strings.Join([]string{r.Name, r.Lines[0].Text, r.Ptr.Text, r.Any.(walkLine).Text,
		r.Notes["k"], r.ByKey["k"].Text, string(r.Raw), r.Arr[1]}, "|")
	if strings.Contains(normal(got), visa.PAN) {
		t.Errorf("a PAN survives Walk: %s", got)
	}
	if strings.Count(normal(got), "476173") != 8 {
		t.Errorf("Walk did not reach every field: %s", got)
	}
	if r.private != pan {
		t.Error("Walk changed an unexported field")
	}
	New(visa).Walk(r) // not a pointer: nothing to do, no panic
	var nilRec *walkRecord
	New(visa).Walk(nilRec)
}
