package yamldoc

import "testing"

// TestFind: Find points at the value the decoder takes: the mapping's own
// key over a merged one, a merged key where the merged mapping holds it,
// through aliases.
func TestFind(t *testing.T) {
	src := "base: &b {count: 1, wait: 2s}\nitems:\n  - <<: *b\n    count: 3\n  - *x\n"
	root, err := Parse("f.yaml", []byte("x0: &x {name: n}\n"+src))
	if err != nil {
		t.Fatal(err)
	}
	item := Item(Find(root, "items"), 0)
	if v := Find(item, "count"); v == nil || v.Line != 5 || v.Column != 12 {
		t.Errorf("own key: %+v, want 5:12", v)
	}
	if v := Find(item, "wait"); v == nil || v.Line != 2 || v.Column != 27 {
		t.Errorf("merged key: %+v, want 2:27", v)
	}
	if v := Find(Item(Find(root, "items"), 1), "name"); v == nil || v.Line != 1 || v.Column != 15 {
		t.Errorf("through an alias: %+v, want 1:15", v)
	}
	if v := Find(item, "colour"); v != nil {
		t.Errorf("absent key: %+v", v)
	}
	if v := FindOr(root, "items", "colour"); v == nil || v.Line != 4 {
		t.Errorf("FindOr of an absent key: %+v, want the items list at line 4", v)
	}
}
