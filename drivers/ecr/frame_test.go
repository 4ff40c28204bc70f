package ecr

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func msg(k Kind, kv ...string) Message {
	m := Message{Kind: k}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Fields = append(m.Fields, Field{kv[i], kv[i+1]})
	}
	return m
}

// Vectors computed independently (by hand / python), also shown in docs/ecr.md.
var vectors = []struct {
	name string
	m    Message
	hex  string
}{
	{"status", msg(Status), "02 53 54 41 54 55 53 03 17"},
	{"sale", msg(Sale, "amount", "1250", "currency", "978", "ref", "A1"),
		"02 53 41 4c 45 1c 61 6d 6f 75 6e 74 3d 31 32 35 30 1c 63 75 72 72 65 6e 63 79 3d 39 37 38 1c 72 65 66 3d 41 31 03 03"},
	{"ready", msg(Ready, "version", "1.0"), "02 52 45 41 44 59 1c 76 65 72 73 69 6f 6e 3d 31 2e 30 03 3c"},
	{"event", msg(Event, "code", "INCORRECT_PIN", "tries", "2"),
		"02 45 56 45 4e 54 1c 63 6f 64 65 3d 49 4e 43 4f 52 52 45 43 54 5f 50 49 4e 1c 74 72 69 65 73 3d 32 03 58"},
	{"key enter", msg(Key, "keys", "E"), "02 4b 45 59 1c 6b 65 79 73 3d 45 03 34"},
	{"status as first sent by a link", msg(Status, "seq", "1"), "02 53 54 41 54 55 53 1c 73 65 71 3d 31 03 60"},
	{"sale with seq", msg(Sale, "amount", "1250", "currency", "978", "ref", "A1", "seq", "2"),
		"02 53 41 4c 45 1c 61 6d 6f 75 6e 74 3d 31 32 35 30 1c 63 75 72 72 65 6e 63 79 3d 39 37 38 1c 72 65 66 3d 41 31 1c 73 65 71 3d 32 03 77"},
}

func TestEncodeVectors(t *testing.T) {
	for _, v := range vectors {
		want := unhex(t, v.hex)
		got, err := Encode(v.m)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: Encode = % x, %v; want % x", v.name, got, err, want)
		}
		m, err := Decode(want)
		if err != nil {
			t.Errorf("%s: Decode: %v", v.name, err)
			continue
		}
		if m.Kind != v.m.Kind || len(m.Fields) != len(v.m.Fields) {
			t.Errorf("%s: Decode = %+v, want %+v", v.name, m, v.m)
			continue
		}
		for i := range m.Fields {
			if m.Fields[i] != v.m.Fields[i] {
				t.Errorf("%s: field %d = %+v, want %+v", v.name, i, m.Fields[i], v.m.Fields[i])
			}
		}
	}
}

func TestLRC(t *testing.T) {
	for _, tc := range []struct {
		payload string
		want    byte
	}{
		{"", 0x03},
		{"A", 0x42},
		{"STATUS", 0x17},
		{"\x03", 0x00},
	} {
		if got := LRC([]byte(tc.payload)); got != tc.want {
			t.Errorf("LRC(%q) = %#02x, want %#02x", tc.payload, got, tc.want)
		}
	}
}

func TestRoundTripEdgeValues(t *testing.T) {
	for _, m := range []Message{
		msg(Display, "text", "PIN OK = go on  "),
		msg(Display, "text", ""),
		msg(Result, "code", "APPROVED", "pan", "476173******0010", "last", "1"),
		msg("X_1", "a_0", " !~"),
		msg(Display, "text", strings.Repeat("x", MaxPayload-len("DISPLAY")-len("\x1ctext="))),
	} {
		f, err := Encode(m)
		if err != nil {
			t.Errorf("Encode(%v): %v", m, err)
			continue
		}
		got, err := Decode(f)
		if err != nil {
			t.Errorf("Decode(Encode(%v)): %v", m.Kind, err)
			continue
		}
		f2, _ := Encode(got)
		if !bytes.Equal(f, f2) {
			t.Errorf("%v: round trip changed the frame", m.Kind)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Message
		want error
	}{
		{"empty kind", msg(""), ErrSyntax},
		{"lower-case kind", msg("sale"), ErrSyntax},
		{"kind with space", msg("SA LE"), ErrSyntax},
		{"empty key", msg(Sale, "", "1"), ErrSyntax},
		{"upper-case key", msg(Sale, "Amount", "1"), ErrSyntax},
		{"key with =", msg(Sale, "a=b", "1"), ErrSyntax},
		{"newline in value", msg(Display, "text", "a\nb"), ErrSyntax},
		{"FS in value", msg(Display, "text", "a\x1cb=c"), ErrSyntax},
		{"ETX in value", msg(Display, "text", "a\x03"), ErrSyntax},
		{"DEL in value", msg(Display, "text", "\x7f"), ErrSyntax},
		{"non-ASCII value", msg(Display, "text", "café"), ErrSyntax},
		{"duplicate key", msg(Sale, "ref", "1", "ref", "2"), ErrSyntax},
		{"too long", msg(Display, "text", strings.Repeat("x", MaxPayload)), ErrTooLong},
	} {
		if _, err := Encode(tc.m); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// frameOf builds STX payload ETX LRC without any checks.
func frameOf(payload string) []byte {
	return append(append([]byte{STX}, payload...), ETX, LRC([]byte(payload)))
}

func TestDecodeErrors(t *testing.T) {
	good := frameOf("STATUS")
	badLRC := append([]byte(nil), good...)
	badLRC[len(badLRC)-1] ^= 0x01
	flipped := append([]byte(nil), good...)
	flipped[2] ^= 0x20 // 'T' -> 't': a bit error in the payload
	for _, tc := range []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, ErrFraming},
		{"too short", []byte{STX, ETX}, ErrFraming},
		{"no STX", good[1:], ErrFraming},
		{"no ETX", append([]byte{STX}, "STATUS\x17"...), ErrFraming},
		{"trailing byte", append(append([]byte(nil), good...), 0x00), ErrFraming},
		{"two frames", append(append([]byte(nil), good...), good...), ErrFraming},
		{"bad LRC", badLRC, ErrLRC},
		{"bit error in payload", flipped, ErrLRC},
		{"too long", frameOf(strings.Repeat("A", MaxPayload+1)), ErrTooLong},
		{"empty payload", frameOf(""), ErrSyntax},
		{"field without =", frameOf("SALE\x1camount"), ErrSyntax},
		{"empty field", frameOf("SALE\x1c"), ErrSyntax},
		{"lower-case kind", frameOf("sale"), ErrSyntax},
		{"control in value", frameOf("DISPLAY\x1ctext=a\nb"), ErrSyntax},
		{"high byte in value", frameOf("DISPLAY\x1ctext=\xff"), ErrSyntax},
		{"duplicate key", frameOf("SALE\x1cref=1\x1cref=1"), ErrSyntax},
	} {
		if _, err := Decode(tc.frame); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDecodeErrorsDoNotLeakKeys(t *testing.T) {
	for _, f := range [][]byte{
		frameOf("KEY\x1ckeys1234"),                 // '=' damaged
		frameOf("KEYkeys=1234"),                    // FS damaged: kind swallows the field
		append([]byte{STX}, "KEY\x1ckeys=1234"...), // no ETX
	} {
		_, err := Decode(f)
		if err == nil || strings.Contains(err.Error(), "1234") {
			t.Errorf("Decode(%q) error %v quotes key digits", f, err)
		}
	}
}
