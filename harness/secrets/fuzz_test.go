package secrets

import (
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzScrubber puts a secret of the inserted card, in one of the forms a
// terminal may print, between arbitrary text. The scrubbed text keeps its
// length, never panics, and where the secret was, no secret is left once
// the grouping is undone. Bytes keeps its length and hides the PAN in BCD.
func FuzzScrubber(f *testing.F) {
	f.Add("PAN ", " end", uint8(0), uint8(0))
	f.Add("\x00\xff", "4", uint8(3), uint8(5))
	f.Add("A0000000031010", "D4912", uint8(1), uint8(9))
	f.Add("0x", "", uint8(2), uint8(8))
	s := New(visa)
	secrets := []struct{ what, v string }{
		{"pan", visa.PAN}, {"track2", visa.Track2}, {"chip-track2", visa.ChipTrack2},
		{"pin-block-2", "241234FFFFFFFFFF"}, {"track1", visa.Track1}, {"name", visa.Name}, {"pin", visa.PIN},
	}
	f.Fuzz(func(t *testing.T, prefix, suffix string, which, how uint8) {
		sec := secrets[int(which)%len(secrets)]
		fm := forms[int(how)%len(forms)]
		if !applies(sec.what, fm.name) {
			fm = forms[0]
		}
		enc := fm.enc(sec.v)
		// A PIN is a PIN only on its own: give it a boundary.
		line := prefix + " " + enc + " " + suffix
		got := s.String(line)
		if len(got) != len(line) {
			t.Fatalf("length %d, was %d", len(got), len(line))
		}
		at := len(prefix) + 1
		region := normal(got[at : at+len(enc)])
		for _, leak := range []string{sec.v, hex.EncodeToString([]byte(sec.v))} {
			if strings.Contains(region, normal(leak)) {
				t.Fatalf("%s as %s survives in %q -> %q", sec.what, fm.name, line, got)
			}
		}
		if again := s.String(got); again != got {
			t.Fatalf("not stable: %q -> %q", got, again)
		}
		raw := []byte(prefix + suffix)
		bcd, _ := hex.DecodeString(visa.PAN)
		raw = append(append(raw[:len(prefix):len(prefix)], bcd...), suffix...)
		out := s.Bytes(raw)
		if len(out) != len(raw) {
			t.Fatalf("Bytes length %d, was %d", len(out), len(raw))
		}
		if strings.Contains(strings.ToUpper(hex.EncodeToString(out)), visa.PAN) {
			t.Fatalf("BCD PAN survives Bytes: %x", out)
		}
	})
}
