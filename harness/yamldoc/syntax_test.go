package yamldoc

import (
	"errors"
	"strings"
	"testing"
)

// TestSyntaxErrorLine: a YAML syntax error is at the line of the problem,
// not yaml.v3's line (one above for parser errors, the scalar's start for
// a tab), nor 1:1 for an alias.
func TestSyntaxErrorLine(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unclosed flow list", "# a comment\ntitle: a\nextra:\n  a: b\n  c: [d\n", "f.yaml:5:3: YAML syntax: did not find expected ',' or ']'"},
		{"unclosed flow mapping", "title: a\nextra: {a: b\nitems: []\n", "f.yaml:2:1: YAML syntax: did not find expected ',' or '}'"},
		{"bad dedent", "title: a\nitems:\n  - name: a\n    count: 1\n   wait: 1s\n", "f.yaml:5:4: YAML syntax: did not find expected '-' indicator"},
		{"bad dedent in a mapping", "# a comment\ntitle: a\nptr:\n  name: a\n  count: 1\n wait: 1s\n", "f.yaml:6:2: YAML syntax: did not find expected key"},
		{"bad dedent at the top", "title: a\nextra:\n  a: b\n c: d\n", "f.yaml:4:2: YAML syntax: did not find expected key"},
		{"mapping in a scalar", "title: a\nextra: b: c\n", "f.yaml:2:1: YAML syntax: mapping values are not allowed"},
		{"tab indent", "title: a\nitems:\n  - name: a\n\t- name: b\n", "f.yaml:4:1: YAML syntax: found a tab character"},
		{"unknown alias", "title: a\nitems:\n  - *nope\n", "f.yaml:3:5: YAML syntax: unknown anchor 'nope' referenced"},
		{"no node content", "title: a\nextra: {a: [}\n", "f.yaml:2:1: YAML syntax: did not find expected node content"},
		{"undefined tag handle", "title: a\nextra: !x!y c\n", "f.yaml:2:1: YAML syntax: found undefined tag handle"},
		{"first line, closed later", "title: [a,\n  b\nitems: []\n", "f.yaml:1:1: YAML syntax: did not find expected ',' or ']'"},
		{"first line", "title: [a\n", "f.yaml:1:1: YAML syntax: did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Outer
			err := Decode("f.yaml", []byte(tt.doc), &v)
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got\n%v\nwant\n%s...", err, tt.want)
			}
		})
	}
}
