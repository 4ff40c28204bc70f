package dut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSplitter feeds a firmware's output in two chunks: lines are clean
// (no control characters, valid UTF-8, bounded) and the split point does
// not change the lines.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte("READY\r\nRESULT OK\n"), 3)
	f.Add([]byte("\x1b[1;31mERR\x1b[0m\rPIN: "), 7)
	f.Add([]byte("a\r\r\n\nb\xff\x00c\n"), 2)
	f.Add([]byte(strings.Repeat("x", maxLine+3)+"\n"), maxLine)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if cut < 0 || cut > len(data) {
			cut = len(data) / 2
		}
		var whole, split splitter
		a, _ := whole.feed(data)
		b1, _ := split.feed(data[:cut])
		b2, _ := split.feed(data[cut:])
		ra, _ := whole.rest()
		rb, _ := split.rest()
		b := append(b1, b2...)
		if strings.Join(a, "\n") != strings.Join(b, "\n") || ra != rb {
			t.Fatalf("split at %d changes lines: %q+%q vs %q+%q", cut, a, ra, b, rb)
		}
		for _, l := range append(a, ra) {
			if len(l) > maxLine*3 || !utf8.ValidString(l) || strings.ContainsAny(l, "\r\n\x1b\x00") {
				t.Fatalf("unclean line %q", l)
			}
		}
	})
}

// FuzzMatch runs printed lines through the shipped shellterm profile and
// a prompt-stripping one: messages have printable, bounded fields and
// masked card numbers.
func FuzzMatch(f *testing.F) {
	st, err := LoadProfile("shellterm")
	if err != nil {
		f.Fatal(err)
	}
	mp := mustProfile(f, matchProfile)
	for _, s := range []string{"RESULT OK AUTH 123456 REF A1", "WRONG PIN, 2 TRIES LEFT", "pos> CARD 4761739001010010=4912201 x",
		"CODE APPROVED", "LAST NONE", "CARD %B4761739001010010^A/B^4912?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		line = clean([]byte(line))
		for _, p := range []*Profile{st, mp} {
			m, ok := p.Match(line)
			if !ok {
				continue
			}
			for _, fl := range m.Fields {
				if !fieldKey.MatchString(fl.Key) || !printable(fl.Value) || len(fl.Value) > maxFieldLen+8 {
					t.Fatalf("field %q=%q from %q", fl.Key, fl.Value, line)
				}
				for _, run := range digitRuns(fl.Value) {
					if len(run) >= 13 && len(run) <= 19 {
						t.Fatalf("unmasked PAN-like run %q in %q", run, fl.Value)
					}
				}
			}
		}
	})
}

// FuzzParseProfile: any document is a profile or an error, never a panic.
func FuzzParseProfile(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(fakeProfile))
	f.Add([]byte(consoleProfile))
	f.Add([]byte("name: x\nprotocol: ecr\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("f.yaml", data)
		if err == nil && p.Protocol != ProtocolECR && p.Send.Sale == nil {
			t.Fatalf("a lines profile without SALE was accepted")
		}
	})
}
