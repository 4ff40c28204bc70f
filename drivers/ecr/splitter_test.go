package ecr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// render shows tokens compactly: A, N, F(payload), B(reason), G(n bytes).
// Garbage is flushed per chunk read, so adjacent G tokens are summed.
func render(ts []token) string {
	var out []string
	garbage := 0
	for i, t := range ts {
		if t.kind == tokGarbage {
			garbage += len(t.raw)
			if i+1 < len(ts) && ts[i+1].kind == tokGarbage {
				continue
			}
		}
		switch t.kind {
		case tokAck:
			out = append(out, "A")
		case tokNak:
			out = append(out, "N")
		case tokFrame:
			out = append(out, fmt.Sprintf("F(%s)", t.raw[1:len(t.raw)-2]))
		case tokBad:
			reason := "framing"
			if errors.Is(t.err, ErrTooLong) {
				reason = "too-long"
			}
			out = append(out, "B("+reason+")")
		case tokGarbage:
			out = append(out, fmt.Sprintf("G(%d)", garbage))
			garbage = 0
		}
	}
	return strings.Join(out, " ")
}

// feedAll feeds in in chunks of size n (0: all at once), copying tokens out.
func feedAll(s *splitter, in []byte, n int) []token {
	if n == 0 {
		n = len(in) + 1
	}
	var all []token
	now := time.Unix(0, 0)
	for len(in) > 0 {
		k := min(n, len(in))
		for _, t := range s.feed(in[:k], now) {
			t.raw = append([]byte(nil), t.raw...)
			all = append(all, t)
		}
		in = in[k:]
	}
	return all
}

// lrcSTX is a payload whose LRC byte is STX, to check the LRC is never
// taken for a control byte.
func lrcSTX() string {
	for c := byte(0x20); c < 0x7f; c++ {
		p := "DISPLAY\x1ctext=" + string(c)
		if LRC([]byte(p)) == STX {
			return p
		}
	}
	for c := byte(0x20); c < 0x7f; c++ {
		for d := byte(0x20); d < 0x7f; d++ {
			p := "DISPLAY\x1ctext=" + string([]byte{c, d})
			if LRC([]byte(p)) == STX {
				return p
			}
		}
	}
	panic("no payload with LRC STX")
}

func TestSplitter(t *testing.T) {
	status := string(frameOf("STATUS"))
	sale := string(frameOf("SALE\x1camount=1"))
	stxLRC := lrcSTX()
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{
		{"one frame", status, "F(STATUS)"},
		{"ack nak", "\x06\x15", "A N"},
		{"frames and answers", "\x06" + status + "\x15" + sale, "A F(STATUS) N F(SALE\x1camount=1)"},
		{"garbage before", "noise\r\n" + status, "G(7) F(STATUS)"},
		{"garbage between", status + "\xff\x00" + sale, "F(STATUS) G(2) F(SALE\x1camount=1)"},
		{"STX inside frame restarts", "\x02STA" + status, "B(framing) F(STATUS)"},
		{"bit error keeps frame", "\x02ST\x06TUS\x03\x17", "F(ST\x06TUS)"},
		{"LRC byte is STX", string(frameOf(stxLRC)) + "\x06", "F(" + stxLRC + ") A"},
		{"no ETX: too long, then resync", "\x02" + strings.Repeat("A", MaxPayload+3) + status,
			"B(too-long) G(3) F(STATUS)"},
		{"partial frame stays pending", status + "\x02SAL", "F(STATUS)"},
	} {
		for _, chunk := range []int{0, 1, 3} {
			s := &splitter{}
			if got := render(feedAll(s, []byte(tc.in), chunk)); got != tc.want {
				t.Errorf("%s (chunks of %d):\n got %q\nwant %q", tc.name, chunk, got, tc.want)
			}
		}
	}
}

func TestSplitterExpire(t *testing.T) {
	s := &splitter{}
	t0 := time.Unix(100, 0)
	s.feed([]byte("\x02STAT"), t0)
	dl, ok := s.deadline(time.Second)
	if !ok || !dl.Equal(t0.Add(time.Second)) {
		t.Fatalf("deadline = %v, %v", dl, ok)
	}
	if _, ok := s.expire(t0.Add(999*time.Millisecond), time.Second); ok {
		t.Error("expired early")
	}
	tok, ok := s.expire(t0.Add(time.Second), time.Second)
	if !ok || tok.kind != tokBad || !errors.Is(tok.err, ErrFraming) || string(tok.raw) != "\x02STAT" {
		t.Fatalf("expire = %+v, %v", tok, ok)
	}
	if _, ok := s.deadline(time.Second); ok {
		t.Error("still in a frame after expire")
	}
	// The tail of the dropped frame is garbage; the next frame is fine.
	if got := render(feedAll(s, []byte("US\x03\x17"+string(frameOf("STATUS"))), 0)); got != "G(4) F(STATUS)" {
		t.Errorf("after expire: %q", got)
	}
}

// conserved checks the splitter neither loses nor invents bytes: the
// tokens plus the frame in progress are exactly the input.
func conserved(t *testing.T, s *splitter, in []byte, ts []token) {
	var out []byte
	for _, tok := range ts {
		out = append(out, tok.raw...)
		switch tok.kind {
		case tokFrame:
			n := len(tok.raw)
			if n < 3 || tok.raw[0] != STX || tok.raw[n-2] != ETX {
				t.Fatalf("frame token % x is not STX..ETX LRC", tok.raw)
			}
		case tokAck, tokNak:
			if len(tok.raw) != 1 {
				t.Fatalf("answer token % x", tok.raw)
			}
		}
	}
	out = append(out, s.frame...)
	if !bytes.Equal(out, in) {
		t.Fatalf("tokens do not add up to the input:\n in % x\nout % x", in, out)
	}
}

func TestSplitterConserves(t *testing.T) {
	in := []byte("\x00\x02AB\x02CD\x03\x02\x06\x02EF\x03\x03\x15xx\x02" + strings.Repeat("z", 2*MaxPayload))
	for _, n := range []int{0, 1, 2, 7} {
		s := &splitter{}
		conserved(t, s, in, feedAll(s, in, n))
	}
}
