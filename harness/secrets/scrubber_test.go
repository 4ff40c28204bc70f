package secrets

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestScrubberEveryEncoding puts each secret of the inserted card in every
// form a terminal may print into a line and checks that the hidden part is
// gone once the grouping is undone, and that the line keeps its length.
func TestScrubberEveryEncoding(t *testing.T) {
	s := New(visa)
	secrets := map[string]string{
		"pan":         visa.PAN,
		"track2":      visa.Track2,
		"chip-track2": visa.ChipTrack2,
		"track1":      visa.Track1,
		"name":        visa.Name,
		"pin":         visa.PIN,
		"pin-block-2": "241234FFFFFFFFFF",
	}
	for what, secret := range secrets {
		for _, f := range forms {
			if !applies(what, f.name) {
				continue
			}
			enc := f.enc(secret)
			line := "DBG " + what + " <" + enc + "> end"
			got := s.String(line)
			if len(got) != len(line) {
				t.Errorf("%s %s: length %d, was %d", what, f.name, len(got), len(line))
			}
			n := normal(got)
			for _, leak := range []string{secret, strings.ToUpper(hex.EncodeToString([]byte(secret)))} {
				if strings.Contains(n, normal(leak)) {
					t.Errorf("%s as %s survives:\n in  %s\n out %s", what, f.name, line, got)
				}
			}
			if what == "pan" && !strings.Contains(n, "476173") && !strings.Contains(n, "343736313733") {
				t.Errorf("pan as %s lost its first 6 digits: %s", f.name, got)
			}
		}
	}
}

// applies says whether a secret is printed in a form: digit strings in all
// of them; the name and track 1 (text) and the PIN (short: with
// separators it would be any time or amount, 12:34) as text and ASCII hex.
func applies(what, form string) bool {
	switch what {
	case "name", "track1", "pin":
		return form == "plain" || form == "lower" || strings.HasPrefix(form, "ascii-hex")
	}
	return true
}

// TestScrubberMasksWhatItShould pins exact outputs: PAN first 6 / last 4,
// track expiry kept, name and PIN hidden whole.
func TestScrubberMasksWhatItShould(t *testing.T) {
	s := New(visa)
	for _, tt := range []struct{ in, want string }{
		{"PAN 4761 7390 0101 0010", "PAN 4761 73** **** 0010"},
		{"PAN 47 61 73 90 01 01 00 10", "PAN 47 61 73 ** ** ** 00 10"},
		{"T2 ;4761739001010010=49122011010012300000?", "T2 ;476173******0010=4912****************?"},
		{"57 13 47 61 73 90 01 01 00 10 D4 91 22 01 00 00 0F", "57 13 47 61 73 ** ** ** 00 10 D4 91 2* ** ** ** *F"},
		{"name VISA ACQUIRER TEST/CARD 01.", "name **************************."},
		{"name visa acquirer test/card 01", "name **************************"},
		{"keys 1234 ok", "keys **** ok"},
		{"echo 31323334", "echo ********"},
		{"pinblock 04 12 34 FF FF FF FF FF", "pinblock 04 12 34 FF FF FF FF FF"}, // format 0 is XORed with the PAN
	} {
		if got := s.String(tt.in); got != tt.want {
			t.Errorf("String(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}

// TestScrubberFormat0PINBlock: the clear ISO 9564 format 0 block of the
// typed PIN and the card's PAN is scrubbed.
func TestScrubberFormat0PINBlock(t *testing.T) {
	blocks := pinBlocks("1234", visa.PAN)
	if len(blocks) != 2 || blocks[0] != "241234FFFFFFFFFF" {
		t.Fatalf("pinBlocks = %q", blocks)
	}
	// PIN field 041234FFFFFFFFFF XOR PAN field 0000173900101001.
	if blocks[1] != "041223C6FFEFEFFE" {
		t.Fatalf("format 0 = %s, want 041223C6FFEFEFFE", blocks[1])
	}
	got := New(visa).String("block " + groupBy(blocks[1], 2, " "))
	if strings.Contains(normal(got), blocks[1]) {
		t.Errorf("format 0 PIN block survives: %s", got)
	}
}

// TestReadable: AIDs, APDU headers, amounts, STANs, dates and times of a
// card run stay as they were, with the inserted card's secrets known.
func TestReadable(t *testing.T) {
	s := New(visa, Card{PAN: "5413330089010434", PIN: "4321", Name: "MASTERCARD TEST/CARD 02"})
	for _, line := range []string{
		"SELECT A0000000031010 (Visa)",
		"SELECT A0000000041010 (Mastercard)",
		"C-APDU 00A4040007A0000000031010",
		"C-APDU 00A4040007A000000004101000",
		"C-APDU 00 A4 04 00 07 A0 00 00 00 03 10 10 00",
		"00A404000E315041592E5359532E444446303100",
		"80A80000028300 80AE8000 00B2010C00",
		"9F02 06 000000001000 9F03 06 000000000000",
		"RESULT APPROVED amount=1000 stan=001234 rc=00 12:34 12.34",
		"amount 12.34 EUR, 10.00, 1,234.00",
		"STAN 000123 RRN 000000000123",
		"2026-12-04T16:25:37.123Z 16:25:37 20261204 261204",
		"2026-12-04 16:25:37",
		"ARQC 1A2B3C4D5E6F7081 ATC 0001 UN 12345678",
		"SDAD 9F4B10AB4111111111111111CD", // Luhn-valid runs inside hex: not PANs
		"hex AB4111111111111111 and 4111111111111111CD",
		"order 4111111111111112", // 16 digits, not Luhn-valid
		"serial 0000000000000000000",
		"ts 1733329537123456789012",
	} {
		if got := s.String(line); got != line {
			t.Errorf("String(%q) = %q: changed", line, got)
		}
	}
}

// TestUnknownCardData: a card the harness did not insert is masked too,
// plain, grouped or in hex bytes, when Luhn-valid; as track text always.
func TestUnknownCardData(t *testing.T) {
	var s *Scrubber // nil: unknown card data only
	for _, tt := range []struct{ in, want string }{
		{"pan 4111111111111111", "pan 411111******1111"},
		{"pan 4111 1111 1111 1111.", "pan 4111 11** **** 1111."},
		{"pan 4111-1111-1111-1111", "pan 4111-11**-****-1111"},
		{"pan 3782 822463 10005", "pan 3782 82**** *0005"},
		{"pan 4111111111111111 5A", "pan 411111******1111 5A"},
		{"4111 1111 1111 1111 9F02", "4111 11** **** 1111 9F02"},
		{"5A 08 41 11 11 11 11 11 11 11", "5A 08 41 11 11 ** ** ** 11 11"},
		{";4111111111111111=25121010000?", ";411111******1111=2512*******?"},
		{"%B4111111111111111^DOE/JOHN^2512101000000?", "%B411111******1111^********^2512*********?"},
		{"x 4111111111111111D2512101", "x 411111******1111D2512***"},
	} {
		if got := s.String(tt.in); got != tt.want {
			t.Errorf("String(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
		if got := MaskText(tt.in); got != tt.want {
			t.Errorf("MaskText(%q) = %q", tt.in, got)
		}
	}
}

// TestPINOnlyAsAToken: the PIN is masked where it stands alone, not inside
// a longer number.
func TestPINOnlyAsAToken(t *testing.T) {
	s := New(Card{PIN: "1234"})
	for in, want := range map[string]string{
		"PIN 1234":          "PIN ****",
		"1234":              "****",
		"[1234]":            "[****]",
		"amount 12345":      "amount 12345",
		"stan 001234":       "stan 001234",
		"AID A0000001234":   "AID A0000001234",
		"ascii 31 32 33 34": "ascii ** ** ** **",
		// A number that is the PIN on its own is the PIN: the secret wins.
		"amount=1234": "amount=****",
	} {
		if got := s.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := New(Card{PIN: "123"}).String("a 123 b"); got != "a 123 b" {
		t.Errorf("a 3-digit PIN was scrubbed: %q", got)
	}
}

// TestBytes: raw BCD (tag 5A, 57) gets F nibbles, ASCII gets '*'.
func TestBytes(t *testing.T) {
	s := New(visa)
	raw, _ := hex.DecodeString("5A084761739001010010" + "5713" + "4761739001010010D491220100000F")
	got := hex.EncodeToString(s.Bytes(raw))
	want := strings.ToLower("5A08476173FFFFFF0010" + "5713" + "476173FFFFFF0010D4912FFFFFFFFF")
	if got != want {
		t.Errorf("Bytes BCD\n got  %s\n want %s", got, want)
	}
	ascii := []byte("\x00\x10PAN=4761739001010010\xff")
	if got := string(s.Bytes(ascii)); got != "\x00\x10PAN=476173******0010\xff" {
		t.Errorf("Bytes ASCII = %q", got)
	}
	if string(ascii) != "\x00\x10PAN=4761739001010010\xff" {
		t.Error("Bytes changed its input")
	}
}

// TestWith: a Scrubber grows without changing the one it came from.
func TestWith(t *testing.T) {
	a := New(Card{PAN: "5413330089010434"})
	b := a.With(visa)
	if got := a.String("x 4761739001010010 y"); got != "x 476173******0010 y" { // Luhn rule only
		t.Errorf("a = %q", got)
	}
	if got := b.String("x 4761 7390 0101 0010A"); got != "x 4761 73** **** 0010A" {
		t.Errorf("b = %q", got)
	}
	if got := b.String("x 5413-3300-8901-0434A"); got != "x 5413-33**-****-0434A" {
		t.Errorf("b kept a's card? %q", got)
	}
}

// BenchmarkScrubberString scrubs a 64 KiB DUT log of ordinary terminal
// lines with one card's secrets known.
func BenchmarkScrubberString(b *testing.B) {
	s := New(visa)
	line := "12:34:56.789 EMV SELECT A0000000031010 00A4040007A0000000031010 SW 9000 amount=000000001250 stan=000123\n"
	text := strings.Repeat(line, 64<<10/len(line))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		s.String(text)
	}
}
