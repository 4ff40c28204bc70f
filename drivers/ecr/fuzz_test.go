package ecr

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecode: Decode never panics, and whatever it accepts is canonical:
// encoding the message again gives the same frame.
func FuzzDecode(f *testing.F) {
	for _, v := range vectors {
		b, _ := Encode(v.m)
		f.Add(b)
	}
	f.Add(frameOf("SALE\x1camount"))
	f.Add(frameOf("KEY\x1ckeys=1234E\x1cseq=3"))
	f.Add([]byte{STX, ETX, ETX})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := Decode(frame)
		if err != nil {
			return
		}
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("Decode accepted % x but Encode refuses %+v: %v", frame, m, err)
		}
		if !bytes.Equal(again, frame) {
			t.Fatalf("not canonical:\n in % x\nout % x", frame, again)
		}
	})
}

// FuzzLinkStream feeds arbitrary bytes, in arbitrary chunks, through the
// link's splitter and decoder: no panic, no byte lost or invented, every
// frame token decodes or is refused with an error, and Redact keeps no
// digit after "keys=".
func FuzzLinkStream(f *testing.F) {
	f.Add([]byte("\x06\x02STATUS\x03\x17\x15"), uint8(1))
	f.Add([]byte("junk\x02KEY\x1ckeys=12\x02KEY\x1ckeys=1234E\x03\x00"), uint8(3))
	f.Add(append([]byte{STX}, bytes.Repeat([]byte("A"), MaxPayload+5)...), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		s := &splitter{}
		var all []token
		now := time.Unix(0, 0)
		for rest := in; len(rest) > 0; {
			k := len(rest)
			if chunk > 0 {
				k = min(int(chunk), len(rest))
			}
			for _, tok := range s.feed(rest[:k], now) {
				tok.raw = append([]byte(nil), tok.raw...)
				all = append(all, tok)
				if tok.kind == tokFrame {
					m, err := Decode(tok.raw)
					var mp *Message
					if err == nil {
						mp = &m
					}
					ev := Redact(TapEvent{Raw: tok.raw, Msg: mp})
					checkRedacted(t, ev)
				}
			}
			rest = rest[k:]
			now = now.Add(time.Millisecond)
		}
		conserved(t, s, in, all)
		if tok, ok := s.expire(now.Add(time.Hour), time.Second); ok && tok.kind != tokBad {
			t.Fatalf("expire gave %v", tok.kind)
		}
	})
}

func checkRedacted(t *testing.T, ev TapEvent) {
	t.Helper()
	for i := 0; ; {
		j := bytes.Index(ev.Raw[i:], []byte("keys="))
		if j < 0 {
			break
		}
		k := i + j + len("keys=")
		for ; k < len(ev.Raw) && ev.Raw[k] >= 0x20; k++ {
			if ev.Raw[k] >= '0' && ev.Raw[k] <= '9' {
				t.Fatalf("digit left after keys= in % x", ev.Raw)
			}
		}
		i = k
	}
	if ev.Msg != nil {
		if v, ok := ev.Msg.Get("keys"); ok && bytes.ContainsAny([]byte(v), "0123456789") {
			t.Fatalf("digit left in Msg keys %q", v)
		}
	}
}
