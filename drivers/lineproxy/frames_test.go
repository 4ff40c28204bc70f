package lineproxy

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// describe renders segments as "raw" for plain runs and "<KIND>" for
// frames, for table comparisons.
func describe(segs []segment) string {
	var out []string
	for _, s := range segs {
		if s.msg != nil {
			out = append(out, "<"+string(s.msg.Kind)+">")
			continue
		}
		out = append(out, strings.NewReplacer("\x02", "{STX}", "\x03", "{ETX}", "\x06", "{ACK}").Replace(string(s.raw)))
	}
	return strings.Join(out, "|")
}

func TestFramer(t *testing.T) {
	ready := string(mustEncode(t, ecr.Message{Kind: ecr.Ready}))
	status := string(mustEncode(t, ecr.Message{Kind: ecr.Status}))
	badLRC := ready[:len(ready)-1] + string(rune(ready[len(ready)-1]^1))
	for _, tc := range []struct {
		name   string
		chunks []string
		want   string // segments of all chunks, then "/held" if a frame is held
	}{
		{"plain", []string{"abc"}, "abc"},
		{"ack then frame", []string{"\x06" + ready}, "{ACK}|<READY>"},
		{"frame split in three", []string{ready[:2], ready[2:5], ready[5:]}, "<READY>"},
		{"two frames one chunk", []string{ready + status}, "<READY>|<STATUS>"},
		{"garbage around", []string{"x" + ready + "y"}, "x|<READY>|y"},
		{"bad LRC passes plain", []string{badLRC}, "{STX}READY{ETX}" + string(badLRC[len(badLRC)-1])},
		{"STX restarts", []string{"\x02SA" + ready}, "{STX}SA|<READY>"},
		{"unfinished held", []string{"\x02SAL"}, "/held"},
		{"LRC held", []string{ready[:len(ready)-1]}, "/held"},
		{"too long abandoned", []string{"\x02" + strings.Repeat("A", ecr.MaxPayload+1)}, "{STX}" + strings.Repeat("A", ecr.MaxPayload+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f framer
			var all []segment
			for _, c := range tc.chunks {
				all = append(all, f.feed([]byte(c), time.Now())...)
			}
			got := describe(all)
			if _, held := f.holding(); held {
				got += "/held"
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFramerFlush(t *testing.T) {
	var f framer
	t0 := time.Unix(100, 0)
	if segs := f.feed([]byte("\x02SAL"), t0); len(segs) != 0 {
		t.Fatalf("segments before the frame ends: %v", describe(segs))
	}
	if since, ok := f.holding(); !ok || !since.Equal(t0) {
		t.Fatalf("holding = %v, %v", since, ok)
	}
	if got := describe(f.flush()); got != "{STX}SAL" {
		t.Fatalf("flush = %q", got)
	}
	if _, ok := f.holding(); ok || f.flush() != nil {
		t.Fatal("still holding after flush")
	}
}

func mustEncode(t testing.TB, m ecr.Message) []byte {
	t.Helper()
	b, err := ecr.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzFramer: whatever the bytes and however they are split, the framer
// lets every byte pass once, in order, and finds the same frames.
func FuzzFramer(f *testing.F) {
	f.Add(mustEncode(f, ecr.Message{Kind: ecr.Ready}), uint16(3))
	f.Add(append([]byte{ecr.ACK, ecr.STX, 'S'}, mustEncode(f, ecr.Message{Kind: ecr.Sale, Fields: []ecr.Field{{Key: "amount", Value: "100"}}})...), uint16(5))
	f.Add([]byte{ecr.STX, ecr.ETX, ecr.STX, ecr.ETX, ecr.ETX}, uint16(1))
	f.Add(mustEncode(f, ecr.Message{Kind: ecr.Key, Fields: []ecr.Field{{Key: "keys", Value: "1234E"}}}), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		run := func(chunks ...[]byte) ([]byte, []string) {
			var fr framer
			var raw []byte
			var kinds []string
			for _, c := range chunks {
				for _, s := range fr.feed(c, time.Now()) {
					raw = append(raw, s.raw...)
					if s.msg != nil {
						if _, err := ecr.Decode(s.raw); err != nil {
							t.Fatalf("reported frame does not decode: %v", err)
						}
						if v, ok := s.msg.Get("keys"); ok && strings.ContainsAny(v, "0123456789") {
							t.Fatalf("key digits reach the hook: %q", v)
						}
						kinds = append(kinds, string(s.msg.Kind))
					}
				}
			}
			for _, s := range fr.flush() {
				raw = append(raw, s.raw...)
			}
			return raw, kinds
		}
		whole, k1 := run(data)
		at := int(split) % (len(data) + 1)
		parts, k2 := run(data[:at], data[at:])
		if !bytes.Equal(whole, data) || !bytes.Equal(parts, data) {
			t.Fatalf("bytes changed: in % x, out % x / % x", data, whole, parts)
		}
		if strings.Join(k1, ",") != strings.Join(k2, ",") {
			t.Fatalf("frames depend on the split: %v vs %v", k1, k2)
		}
	})
}
