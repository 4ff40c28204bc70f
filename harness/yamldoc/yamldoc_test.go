package yamldoc

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Name  string        `yaml:"name"`
	Count int           `yaml:"count"`
	Wait  time.Duration `yaml:"wait"`
}

type Outer struct {
	Anchors map[string]any    `yaml:"anchors"`
	Title   string            `yaml:"title"`
	Items   []inner           `yaml:"items"`
	Extra   map[string]string `yaml:"extra"`
	Ptr     *inner            `yaml:"ptr"`
	Data    any               `yaml:"data"`
	Deep    [][][]inner       `yaml:"deep"`
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown key", "title: x\nitems:\n  - name: a\n    colour: red\n", "f.yaml:4:5: unknown key \"colour\" in inner (known: count, name, wait)"},
		{"wrong type", "items:\n  - count: many\n", "f.yaml:2:12: want a whole number, got \"many\""},
		{"wrong duration", "items:\n  - wait: soon\n", "f.yaml:2:11: want a duration (e.g. 500ms, 2s), got \"soon\""},
		{"list wanted", "items: 3\n", "f.yaml:1:8: want a list"},
		{"mapping wanted", "ptr: [1]\n", "f.yaml:1:6: want a mapping (key: value) for inner, got a list"},
		{"duplicate", "title: a\ntitle: b\n", "f.yaml:2:1: duplicate key \"title\""},
		{"syntax", "title: [a\n", "f.yaml:"},
		{"two documents", "title: a\n---\ntitle: b\n", "more than one YAML document"},
		{"empty", "", "f.yaml:1:1: empty document"},
		{"alias bomb", bomb(), "alias"},
		{"deep alias bomb", deepBomb(), "alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Outer
			err := Decode("f.yaml", []byte(tt.doc), &v)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%v\nwant it to contain\n%s", err, tt.want)
			}
		})
	}
}

func bomb() string {
	var b strings.Builder
	b.WriteString("anchors:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for i := range 9 {
		name := string(rune('b' + i))
		b.WriteString("  " + name + ": &" + name + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	return b.String() + "data: *" + prev + "\n"
}

func TestDecodeOK(t *testing.T) {
	doc := `
base: &base {count: 2, wait: 250ms}
title: hello
items:
  - name: one
    <<: *base
  - {name: two, count: 5}
extra: {a: b}
`
	type withBase struct {
		Outer `yaml:",inline"`
		Base  inner `yaml:"base"`
	}
	var v withBase
	if err := Decode("f.yaml", []byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	if v.Title != "hello" || len(v.Items) != 2 || v.Items[0].Count != 2 || v.Items[0].Wait != 250*time.Millisecond || v.Items[1].Count != 5 || v.Extra["a"] != "b" {
		t.Errorf("decoded %+v", v)
	}
}

func TestTooLarge(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	var v Outer
	err := Decode("big.yaml", big, &v)
	if err == nil || !strings.HasPrefix(err.Error(), "big.yaml:1:1: ") {
		t.Fatalf("got %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("title: a\nitems: [{name: b, count: 1}]\n"))
	f.Add([]byte("a: &a [1]\nb: *a\n"))
	f.Add([]byte("<<: {title: x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Outer
		err := Decode("fuzz.yaml", data, &v)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error without file name: %v", err)
		}
	})
}

func deepBomb() string {
	return `deep:
  - &a [[{name: x}, {name: x}, {name: x}, {name: x}, {name: x}, {name: x}, {name: x}, {name: x}]]
` + strings.Repeat("  - *a\n", 5000)
}
