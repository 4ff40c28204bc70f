package yamldoc

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// bigDocs are files just under MaxFileSize, each the worst of its shape:
// values as dense as YAML allows (refused before parsing), and values up
// to the bound padded out to the size limit (parsed and decoded).
func bigDocs() map[string]string {
	fill := func(head, unit, tail string) string {
		var b strings.Builder
		b.WriteString(head)
		for b.Len()+len(unit)+len(tail) < MaxFileSize {
			b.WriteString(unit)
		}
		b.WriteString(tail)
		return b.String()
	}
	return map[string]string{
		"dense flow list":     fill("data: [", "1,", "1]\n"),
		"dense block list":    fill("data:\n", "-\n", ""),
		"sale lines":          fill("items:\n", "  - {name: sale, count: 1250} # padding padding padding padding\n", ""),
		"comments":            fill("title: a\n", "# padding padding padding padding padding padding padding padding\n", ""),
		"one long string":     fill("title: \"", "padding ", "\"\n"),
		"values at the bound": fill("items:\n", "  - {name: \""+strings.Repeat("p", 230)+"\", count: 1}\n", ""),
	}
}

// TestLargeFileBounds: every 4 MiB file is answered within 200 MB of
// allocation, whether refused or decoded (allocation is the machine-
// independent measure of blow-up; BenchmarkDecodeLarge measures time).
func TestLargeFileBounds(t *testing.T) {
	for name, doc := range bigDocs() {
		t.Run(name, func(t *testing.T) {
			data := []byte(doc)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var v Outer
			err := Decode("big.yaml", data, &v)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d bytes: %d MB allocated, error: %.80v", name, len(data), alloc>>20, err)
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if alloc > 200<<20 {
				t.Errorf("allocated %d MB, limit 200 MB", alloc>>20)
			}
		})
	}
}

// TestTooManyValues: a file denser than MaxValues is refused at the
// place where the count passed the bound, before yaml.v3 builds a node.
func TestTooManyValues(t *testing.T) {
	doc := "title: a\nextra:\n  k: [" + strings.Repeat("1,", MaxValues) + "1]\n"
	var v Outer
	err := Decode("f.yaml", []byte(doc), &v)
	if err == nil || !strings.HasPrefix(err.Error(), "f.yaml:3:") || !strings.Contains(err.Error(), "more than 100000 YAML values") {
		t.Fatalf("got %v", err)
	}
	ok := "title: a\nitems:\n" + strings.Repeat("  - {name: \"a, b # c\", count: 1} # a comment, with words\n", MaxValues/8)
	if err := Decode("f.yaml", []byte(ok), &v); err != nil {
		t.Fatalf("a file under the bound: %v", err)
	}
}

// BenchmarkDecodeLarge reports time and bytes per 4 MiB file.
func BenchmarkDecodeLarge(b *testing.B) {
	for name, doc := range bigDocs() {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			data := []byte(doc)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var v Outer
				_ = Decode("big.yaml", data, &v)
			}
		})
	}
}

// wrapper decodes its node with a decoder of its own, as the UnmarshalYAML
// methods of scenario steps and faults do.
type wrapper struct{ Items []any }

func (w *wrapper) UnmarshalYAML(n *yaml.Node) error { return DecodeNode(n, &w.Items) }

// TestAliasBombThroughUnmarshalers: an alias repeated under types that
// decode with their own decoder is bounded by the file's one budget.
func TestAliasBombThroughUnmarshalers(t *testing.T) {
	var b strings.Builder
	b.WriteString("anchors:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d"} {
		b.WriteString("  " + name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n")
		prev = name
	}
	b.WriteString("list:\n" + strings.Repeat("  - *"+prev+"\n", 900))
	type doc struct {
		Anchors map[string]wrapper `yaml:"anchors"`
		List    []wrapper          `yaml:"list"`
	}
	var v doc
	err := Decode("f.yaml", []byte(b.String()), &v)
	if err == nil || !strings.Contains(err.Error(), "document too large") && !strings.Contains(err.Error(), "too many aliases") {
		t.Errorf("got %.200v, want the node or alias bound", err)
	}
}
