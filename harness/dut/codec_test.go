package dut

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/drivers/ecr"
)

func msg(k ecr.Kind, kv ...string) ecr.Message {
	m := ecr.Message{Kind: k}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Fields = append(m.Fields, ecr.Field{Key: kv[i], Value: kv[i+1]})
	}
	return m
}

// describe renders a message compactly for comparisons.
func describe(m ecr.Message) string {
	var b strings.Builder
	b.WriteString(string(m.Kind))
	for _, f := range m.Fields {
		b.WriteString(" " + f.Key + "=" + f.Value)
	}
	return b.String()
}

func mustProfile(t testing.TB, doc string) *Profile {
	t.Helper()
	p, err := ParseProfile("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const renderProfile = `name: r
send:
  SALE: "sale {{decimal .amount 2}} {{.currency}} {{.ref}}"
  KEY: "{{.keys}}"
  keys: {E: "", C: "\ncancel", X: clr}
  STATUS: |
    status
  ABORT: "abort\nreset"
receive:
  - {match: '^READY', kind: READY}
  - {match: '^RESULT (?P<code>\w+)', kind: RESULT}
`

func TestRender(t *testing.T) {
	p := mustProfile(t, renderProfile)
	tests := []struct {
		name string
		m    ecr.Message
		want []string
	}{
		{"sale with decimal", msg(ecr.Sale, "amount", "1250", "currency", "978", "ref", "A1"), []string{"sale 12.50 978 A1"}},
		{"small amount", msg(ecr.Sale, "amount", "5", "currency", "840", "ref", "B"), []string{"sale 0.05 840 B"}},
		{"PIN and enter", msg(ecr.Key, "keys", "1234E"), []string{"1234"}},
		{"enter alone is an empty line", msg(ecr.Key, "keys", "E"), []string{""}},
		{"cancel mapped to its own line", msg(ecr.Key, "keys", "12C"), []string{"12", "cancel"}},
		{"clear", msg(ecr.Key, "keys", "X"), []string{"clr"}},
		{"block scalar newline dropped", msg(ecr.Status), []string{"status"}},
		{"two lines", msg(ecr.Abort), []string{"abort", "reset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Render(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Render(%s) = %q, want %q", describe(tt.m), got, tt.want)
			}
		})
	}
	if !p.Sends(ecr.Sale) || !p.Sends(ecr.Abort) || p.Sends(ecr.Last) {
		t.Error("Sends does not follow the templates")
	}
	if _, err := p.Render(msg(ecr.Last)); !errors.Is(err, ErrNoTemplate) || !strings.Contains(err.Error(), "send.LAST") {
		t.Errorf("LAST without template: %v, want ErrNoTemplate", err)
	}
	if _, err := p.Render(msg(ecr.Sale, "amount", "12.50", "currency", "978", "ref", "A")); err == nil {
		t.Error("decimal of a non-integer amount rendered")
	}
	if _, err := p.Render(msg(ecr.Sale, "amount", "1", "currency", "978")); err == nil {
		t.Error("a SALE without ref rendered (missing field)")
	}
	if _, err := p.Render(msg(ecr.Key, "keys", "1\x01")); err == nil {
		t.Error("control character rendered")
	}
}

func TestMatchShellterm(t *testing.T) {
	p, err := LoadProfile("shellterm")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line, want string // want "" = no message
	}{
		{"SHELLTERM 1.0 READY", "READY version=1.0"},
		{"READY", "READY"},
		{"PLEASE INSERT CARD", "DISPLAY text=INSERT CARD"},
		{"ENTER PIN", "DISPLAY text=ENTER PIN"},
		{"AMOUNT 12.50", "DISPLAY text=AMOUNT 12.50"},
		{"WRONG PIN, 2 TRIES LEFT", "EVENT tries=2 code=INCORRECT_PIN"},
		{"RESULT OK AUTH 123456 REF A1", "RESULT dut_code=OK auth=123456 ref=A1 code=APPROVED"},
		{"RESULT ERR_CHIP", "RESULT dut_code=ERR_CHIP code=CHIP_ERROR"},
		{"RESULT PIN_BLOCKED TRIES 0 REF R9", "RESULT dut_code=PIN_BLOCKED tries=0 ref=R9 code=PIN_TRIES_EXCEEDED"},
		{"RESULT MELTDOWN", "RESULT dut_code=MELTDOWN unmapped=MELTDOWN"},
		{"LAST OK AUTH 000001 REF A1", "RESULT dut_code=OK auth=000001 ref=A1 last=1 code=APPROVED"},
		{"LAST NONE", "RESULT dut_code=NONE last=1 unmapped=NONE"},
		{"ERR UNKNOWN COMMAND", ""},
		{"opensc-tool: whatever", ""},
	}
	for _, tt := range tests {
		m, ok := p.Match(tt.line)
		got := ""
		if ok {
			got = describe(m)
		}
		if got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

const matchProfile = `name: m
prompt: '[a-z]*> '
send: {SALE: "s {{.amount}}"}
receive:
  - {match: '^BOOT', kind: READY}
  - {match: '^CARD (?P<pan>\S+) (?P<holder>.*)$', kind: DISPLAY}
  - {match: '^CODE (?P<code>\w+)', kind: RESULT}
  - {match: '^FIX (?P<code>\w+)', kind: RESULT, fields: {code: DECLINED, entry: swipe}}
  - {match: '^OPT(?: (?P<tries>\d))?', kind: EVENT, fields: {code: INCORRECT_PIN}}
`

func TestMatch(t *testing.T) {
	p := mustProfile(t, matchProfile)
	tests := []struct {
		line, want string
	}{
		{"BOOT", "READY"},
		{"pos> BOOT", "READY"},
		{"> BOOT", "READY"},
		{"xBOOT", ""},
		{"CARD 4761739001010010 J SMITH", "DISPLAY pan=476173******0010 holder=J SMITH"},
		{"CARD 4761739001010010=49122011010012300000 X", "DISPLAY pan=476173******0010=4912**************** holder=X"},
		{"CARD %B4761739001010010^SMITH/J^4912201101001230? Y", "DISPLAY pan=%B476173******0010^*******^4912************? holder=Y"},
		{"CARD x " + strings.Repeat("y", 300), "DISPLAY pan=x holder=" + strings.Repeat("y", 256)},
		{"CODE APPROVED", "RESULT code=APPROVED"},
		{"CODE approved", "RESULT unmapped=approved"},
		{"FIX APPROVED", "RESULT code=DECLINED entry=swipe"},
		{"OPT", "EVENT code=INCORRECT_PIN"},
		{"OPT 2", "EVENT tries=2 code=INCORRECT_PIN"},
	}
	for _, tt := range tests {
		m, ok := p.Match(tt.line)
		got := ""
		if ok {
			got = describe(m)
		}
		if got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestMasking(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"pan", "PAN 4761739001010010 OK", "PAN 476173******0010 OK"},
		{"short numbers stay", "AUTH 123456 AMOUNT 1250", "AUTH 123456 AMOUNT 1250"},
		{"track 2", ";4761739001010010=49122011010012300000?", ";476173******0010=4912****************?"},
		{"track 2 hex form", "57 4761739001010010D4912201101001230", "57 476173******0010D4912************"},
		{"track 1", "%B4761739001010010^VISA ACQUIRER TEST/CARD 01^4912201101001230000000?",
			"%B476173******0010^" + strings.Repeat("*", 26) + "^4912" + strings.Repeat("*", 18) + "?"},
		{"aid", "SELECT A0000000031010 00A4040007A0000000041010", "SELECT A0000000031010 00A4040007A0000000041010"},
	}
	for _, tt := range tests {
		if got := maskCardData(tt.in); got != tt.want {
			t.Errorf("%s: maskCardData(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
	if got := maskSent(ecr.Key, "pin 1234 ok"); got != "pin **** ok" {
		t.Errorf("KEY line tapped as %q", got)
	}
	if got := maskSent(ecr.Sale, "sale 1250 4761739001010010"); got != "sale 1250 476173******0010" {
		t.Errorf("SALE line tapped as %q", got)
	}
	var s typedKeys
	if got := s.mask("1234"); got != "1234" {
		t.Errorf("no secrets yet, but %q", got)
	}
	s.remember("12E")   // too short to be a PIN: not remembered
	s.remember("1234E") // a PIN
	for in, want := range map[string]string{
		"1234":                 "****",
		"PIN> 1234":            "PIN> ****",
		"12345":                "12345",
		"WRONG PIN, 12 TRIES":  "WRONG PIN, 12 TRIES",
		"AMOUNT 1234 PIN 1234": "AMOUNT **** PIN ****",
	} {
		if got := s.mask(in); got != want {
			t.Errorf("typedKeys.mask(%q) = %q, want %q", in, got, want)
		}
	}
	for range 4 { // the ring forgets after four newer PINs
		s.remember("9999")
	}
	if got := s.mask("1234"); got != "1234" {
		t.Errorf("old secret still masked: %q", got)
	}
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string
		rest   string
	}{
		{"lf", []string{"a\nb\n"}, []string{"a", "b"}, ""},
		{"crlf across chunks", []string{"a\r", "\nb\r\n"}, []string{"a", "b"}, ""},
		{"cr only", []string{"a\rb\r"}, []string{"a", "b"}, ""},
		{"empty lines dropped", []string{"\n\n  \na\n"}, []string{"a"}, ""},
		{"partial", []string{"ENTER ", "PIN: "}, nil, "ENTER PIN:"},
		{"ansi and controls", []string{"\x1b[1;32mREADY\x1b[0m\x07\tnow\n"}, []string{"READY now"}, ""},
		{"invalid utf-8", []string{"a\xffb\n"}, []string{"a?b"}, ""},
		{"long line cut", []string{strings.Repeat("x", maxLine+5) + "\n"}, []string{strings.Repeat("x", maxLine), "xxxxx"}, ""},
	}
	for _, tt := range tests {
		var s splitter
		var got []string
		for _, c := range tt.chunks {
			l, _ := s.feed([]byte(c))
			got = append(got, l...)
		}
		rest, _ := s.rest()
		if !slices.Equal(got, tt.want) || rest != tt.rest {
			t.Errorf("%s: lines %q rest %q, want %q rest %q", tt.name, got, rest, tt.want, tt.rest)
		}
	}
}
