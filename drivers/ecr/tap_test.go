package ecr

import (
	"bytes"
	"fmt"
	"testing"
)

func TestRedact(t *testing.T) {
	key := msg(Key, "keys", "1234E", "seq", "3")
	keyFrame, _ := Encode(key)
	masked, _ := Encode(msg(Key, "keys", "****E", "seq", "3"))
	for _, tc := range []struct {
		name    string
		ev      TapEvent
		wantRaw []byte
		wantMsg string
	}{
		{"key frame", TapEvent{Raw: keyFrame, Msg: &key}, masked, "{KEY [{keys ****E} {seq 3}]}"},
		{"named keys stay", TapEvent{Raw: frameOf("KEY\x1ckeys=CXE")}, frameOf("KEY\x1ckeys=CXE"), ""},
		{"garbage", TapEvent{Raw: []byte("Y\x1ckeys=98")}, []byte("Y\x1ckeys=**"), ""},
		{"cut frame", TapEvent{Raw: []byte("\x02KEY\x1ckeys=5\x02")}, []byte("\x02KEY\x1ckeys=*\x02"), ""},
		{"two keys fields", TapEvent{Raw: []byte("keys=1\x1ckeys=2")}, []byte("keys=*\x1ckeys=*"), ""},
		{"other message untouched", TapEvent{Raw: frameOf("SALE\x1camount=1250")}, frameOf("SALE\x1camount=1250"), ""},
	} {
		before := append([]byte(nil), tc.ev.Raw...)
		got := Redact(tc.ev)
		if !bytes.Equal(got.Raw, tc.wantRaw) {
			t.Errorf("%s: raw %q, want %q", tc.name, got.Raw, tc.wantRaw)
		}
		if tc.wantMsg != "" && fmt.Sprint(*got.Msg) != tc.wantMsg {
			t.Errorf("%s: msg %v, want %s", tc.name, *got.Msg, tc.wantMsg)
		}
		if !bytes.Equal(tc.ev.Raw, before) {
			t.Errorf("%s: Redact modified its input", tc.name)
		}
		if again := Redact(got); !bytes.Equal(again.Raw, got.Raw) {
			t.Errorf("%s: not idempotent", tc.name)
		}
	}
	if v, _ := key.Get("keys"); v != "1234E" {
		t.Errorf("Redact modified the caller's message: %q", v)
	}
}
