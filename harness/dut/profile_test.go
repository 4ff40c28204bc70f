package dut

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/yamldoc"
)

// minimal is a valid profile the error cases below break one thing in.
const minimal = `name: mini
send:
  SALE: "sale {{.amount}}"
receive:
  - {match: '^READY', kind: READY}
  - {match: '^RESULT (?P<dut_code>\w+)', kind: RESULT}
codes:
  OK: APPROVED
`

func TestProfileErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"bad regex", strings.Replace(minimal, `'^READY'`, `'^READY(('`, 1),
			"p.yaml:5:13: bad regular expression: missing closing ): `^READY((`"},
		{"unknown kind", strings.Replace(minimal, "kind: READY", "kind: HELLO", 1),
			`p.yaml:5:29: unknown kind "HELLO" (want READY, BUSY, DISPLAY, EVENT or RESULT)`},
		{"unknown canonical code", strings.Replace(minimal, "OK: APPROVED", "OK: APROVED", 1),
			`p.yaml:8:7: unknown outcome "APROVED"`},
		{"unknown code in fields", minimal + "  X: DECLINED\n" + `  ` + "\n",
			""}, // valid: more codes are fine
		{"fields code not canonical", strings.Replace(minimal, "kind: READY}", "kind: EVENT, fields: {code: WRONG_PIN}}", 1),
			`p.yaml:5:51: fields: code "WRONG_PIN" is not a canonical outcome`},
		{"unknown key", minimal + "colour: red\n",
			`p.yaml:9:1: unknown key "colour" in profile`},
		{"unknown send key", strings.Replace(minimal, "  SALE:", "  REFUND: x\n  SALE:", 1),
			`p.yaml:3:3: unknown key "REFUND" in send`},
		{"template syntax", strings.Replace(minimal, `"sale {{.amount}}"`, `"sale {{.amount"`, 1),
			`p.yaml:3:9: bad template: send:1: unclosed action`},
		{"template unknown field", strings.Replace(minimal, `{{.amount}}`, `{{.amonut}}`, 1),
			`p.yaml:3:9: SALE: send:1:7: executing "send" at <.amonut>: map has no entry for key "amonut"`},
		{"bad named key", strings.Replace(minimal, "  SALE:", "  keys: {E: ok, Q: quit}\n  SALE:", 1),
			`p.yaml:3:17: keys: "Q" is not a named key`},
		{"bad newline", strings.Replace(minimal, "  SALE:", "  newline: lfcr\n  SALE:", 1),
			`p.yaml:3:12: newline "lfcr": want lf, crlf or cr`},
		{"upper-case group", strings.Replace(minimal, "(?P<dut_code>", "(?P<Code>", 1),
			`p.yaml:6:13: group name "Code": field names are lower case`},
		{"result without code", strings.Replace(minimal, "(?P<dut_code>\\w+)", "(\\w+)", 1),
			"p.yaml:6:5: a RESULT rule must give the outcome"},
		{"no READY", strings.Replace(minimal, "kind: READY", "kind: DISPLAY", 1),
			"p.yaml:5:3: receive: no rule makes READY"},
		{"no RESULT", strings.Replace(minimal, "kind: RESULT", "kind: DISPLAY", 1),
			"receive: no rule makes RESULT"},
		{"no SALE", strings.Replace(minimal, `  SALE: "sale {{.amount}}"`, `  LAST: last`, 1),
			"p.yaml:3:3: send.SALE: give the line that starts a sale"},
		{"codes unused", strings.Replace(minimal, "(?P<dut_code>\\w+)", "(?P<code>\\w+)", 1),
			"p.yaml:8:3: codes: no receive rule captures"},
		{"dut_code without codes", strings.Replace(minimal, "codes:\n  OK: APPROVED\n", "", 1),
			"p.yaml:6:13: the rule captures dut_code but codes: is empty"},
		{"missing match", strings.Replace(minimal, "{match: '^READY', kind: READY}", "{kind: READY}", 1),
			"p.yaml:5:5: match: give a regular expression"},
		{"bad protocol", minimal + "protocol: serial\n", `p.yaml:9:11: protocol "serial"`},
		{"ecr with mapping", minimal + "protocol: ecr\n", "p.yaml:2:1: send: a protocol ecr firmware speaks framed ECR itself"},
		{"no name", strings.Replace(minimal, "name: mini\n", "", 1), "p.yaml:1:1: name: give the firmware's name"},
		{"partial_line range", minimal + "partial_line: 1h\n", "p.yaml:9:15: partial_line 1h0m0s: want 10ms to 10s"},
		{"prompt regex", minimal + "prompt: '[>'\n", "p.yaml:9:9: bad regular expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProfile("p.yaml", []byte(tt.doc))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, yamldoc.ErrInvalid) {
				t.Errorf("error %v is not yamldoc.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%v\nwant it to contain\n%s", err, tt.want)
			}
		})
	}
}

func TestShippedProfiles(t *testing.T) {
	st, err := LoadProfile("shellterm")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "shellterm" || st.Native() || st.File != "fixtures/profiles/shellterm.yaml" || len(st.Receive) == 0 {
		t.Errorf("shellterm: %+v", st)
	}
	rt, err := LoadProfile("refterm")
	if err != nil {
		t.Fatal(err)
	}
	if !rt.Native() {
		t.Errorf("refterm is not native ECR: %+v", rt)
	}
	if _, err := NewProcess(nopWriteCloser{}, strings.NewReader(""), rt, nil); !errors.Is(err, ErrProfile) {
		t.Errorf("NewProcess with a native ECR profile: %v, want ErrProfile", err)
	}
	if _, err := LoadProfile("no-such-terminal"); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "shellterm") {
		t.Errorf("unknown name: %v, want ErrProfile listing the shipped ones", err)
	}
}

func TestLoadProfileFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(good, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProfile(good)
	if err != nil || p.Name != "mini" || p.File != good {
		t.Fatalf("LoadProfile(%s) = %+v, %v", good, p, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(minimal, "READY'", "READY[' ", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadProfile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":5:13: bad regular expression") {
		t.Errorf("LoadProfile(bad) = %v, want %s:5:13: ...", err, bad)
	}
	if _, err := LoadProfile(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// nopWriteCloser is a stdin nobody reads, for constructor checks.
type nopWriteCloser struct{}

func (nopWriteCloser) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriteCloser) Close() error                { return nil }
