package yamldoc

import (
	"strings"
	"testing"
	"time"
)

// TestMergeOverride: a mapping's own keys win over merged ones wherever
// the "<<" stands (YAML merge semantics), and only a key written twice in
// one mapping is a duplicate.
func TestMergeOverride(t *testing.T) {
	type doc struct {
		Base  inner             `yaml:"base"`
		Items []inner           `yaml:"items"`
		Extra map[string]string `yaml:"extra"`
		More  map[string]string `yaml:"more"`
	}
	src := `base: &base {name: b, count: 2, wait: 250ms}
more: &m {a: "1", b: "2"}
items:
  - <<: *base
    count: 7
  - count: 8
    <<: *base
  - <<: [{count: 9}, *base]
extra:
  <<: *m
  b: "3"
`
	var v doc
	if err := Decode("f.yaml", []byte(src), &v); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{7, 8, 9} {
		if got := v.Items[i]; got.Count != want || got.Name != "b" || got.Wait != 250*time.Millisecond {
			t.Errorf("items[%d] = %+v, want count %d over the merged base", i, got, want)
		}
	}
	if v.Extra["a"] != "1" || v.Extra["b"] != "3" {
		t.Errorf("extra = %v, want a from the merge and b overridden", v.Extra)
	}
}

func TestMergeStillRefuses(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"duplicate beside a merge", "base: &b {count: 1}\nitems:\n  - <<: *b\n    count: 2\n    count: 3\n", "f.yaml:5:5: duplicate key \"count\""},
		{"unknown merged key", "anchors: {x: &b {colour: red}}\nitems:\n  - <<: *b\n", "f.yaml:1:18: unknown key \"colour\""},
		{"merge of a scalar", "items:\n  - <<: 3\n", "f.yaml:2:9: a merge (<<) needs a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Outer
			err := Decode("f.yaml", []byte(tt.doc), &v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}
