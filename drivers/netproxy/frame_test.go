package netproxy

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// describe renders pieces as "[MTI/len]" for message starts and the byte
// count for data, e.g. "[0200/6]|6".
func describe(ps []piece) string {
	var out []string
	for _, p := range ps {
		if p.msg {
			out = append(out, fmt.Sprintf("[%s/%d]", p.mti, p.length))
		} else {
			out = append(out, fmt.Sprint(len(p.data)))
		}
	}
	return strings.Join(out, "|")
}

func TestFramer(t *testing.T) {
	msg := func(body string) string { return string([]byte{byte(len(body) >> 8), byte(len(body))}) + body }
	for _, tc := range []struct {
		name   string
		chunks []string
		want   string
	}{
		{"one message", []string{msg("0200ABCDEF")}, "[0200/10]|6|6"},
		{"MTI only", []string{msg("0800")}, "[0800/4]|6"},
		{"two in one chunk", []string{msg("0200XY") + msg("0400Z")}, "[0200/6]|6|2|[0400/5]|6|1"},
		{"prefix split", []string{msg("0210AB")[:1], msg("0210AB")[1:]}, "[0210/6]|6|2"},
		{"MTI split", []string{msg("0210AB")[:4], msg("0210AB")[4:]}, "[0210/6]|6|2"},
		{"body split", []string{msg("0210ABCD")[:7], msg("0210ABCD")[7:]}, "[0210/8]|6|1|3"},
		{"short message", []string{msg("AB")}, "[/2]|4"},
		{"not digits", []string{msg("HELLO")}, "[/5]|6|1"},
		{"zero length", []string{"\x00\x00" + msg("0800")}, "2|[0800/4]|6"},
		{"held prefix", []string{"\x00"}, ""},
		{"held MTI", []string{msg("0200AB")[:4]}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f framer
			var all []piece
			for _, c := range tc.chunks {
				all = append(all, f.feed([]byte(c))...)
			}
			if got := describe(all); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFramerFlush(t *testing.T) {
	var f framer
	f.feed([]byte{0, 10, '0', '2'})
	if got := f.flush(); len(got) != 1 || !bytes.Equal(got[0].data, []byte{0, 10, '0', '2'}) {
		t.Fatalf("flush = %v", describe(got))
	}
	if f.flush() != nil {
		t.Fatal("second flush returned bytes")
	}
	if got := describe(f.feed([]byte{0, 4, '0', '8', '0', '0'})); got != "[0800/4]|6" {
		t.Fatalf("after flush: %q", got)
	}
}

// FuzzFramer: however the stream is split, every byte passes once in
// order, each message is reported before its bytes, and the reports do
// not depend on the split.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("\x00\x0a0200ABCDEF\x00\x040800"), uint16(3))
	f.Add([]byte("\x00\x00\x00\x01X\x00"), uint16(1))
	f.Add([]byte("\xff\xff0200"), uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		run := func(chunks ...[]byte) ([]byte, string) {
			var fr framer
			var out []byte
			var msgs []string
			for _, c := range chunks {
				for _, p := range fr.feed(c) {
					if p.msg {
						if p.length < 1 || p.length > 0xFFFF || (p.mti != "" && len(p.mti) != 4) {
							t.Fatalf("bad report %+v", p)
						}
						msgs = append(msgs, fmt.Sprintf("%d:%s/%d", len(out), p.mti, p.length))
						continue
					}
					out = append(out, p.data...)
				}
			}
			for _, p := range fr.flush() {
				out = append(out, p.data...)
			}
			return out, strings.Join(msgs, ",")
		}
		whole, m1 := run(data)
		at := int(split) % (len(data) + 1)
		parts, m2 := run(bytes.Clone(data[:at]), bytes.Clone(data[at:]))
		if !bytes.Equal(whole, data) || !bytes.Equal(parts, data) {
			t.Fatalf("bytes changed")
		}
		if m1 != m2 {
			t.Fatalf("reports depend on the split: %s vs %s", m1, m2)
		}
	})
}
