package evidence

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// hx decodes hex with spaces.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

const (
	testPAN = "4761739001010010"
	// A READ RECORD answer: track 2 with discretionary data, PAN, name,
	// expiry, and track 1 discretionary data.
	recordHex = "70 3A" +
		" 57 13 4761739001010010 D4912201 1234567899999F" +
		" 5A 08 4761739001010010" +
		" 5F20 0B 56495341205445535420" + "31" +
		" 5F24 03 491231" +
		" 9F1F 04 31323334"
)

func TestDecodeAPDU(t *testing.T) {
	tests := []struct {
		name, capdu, rapdu string
		command, detail    string
		sw, status, class  string
		capduWant          string
		withheld           int
		responseHas        []string
	}{
		{name: "select ppse", capdu: "00A404000E325041592E5359532E444446303100",
			rapdu:   "6F 10 84 0E 325041592E5359532E4444463031 9000",
			command: "SELECT", detail: "2PAY.SYS.DDF01", sw: "9000", status: "OK", class: ClassOK,
			responseHas: []string{"84 DF Name"}},
		{name: "select aid not found", capdu: "00A4040007A000000003101000", rapdu: "6A82",
			command: "SELECT", detail: "A0000000031010", sw: "6A82", status: "file or application not found", class: ClassError},
		{name: "gpo", capdu: "80A8000002830000", rapdu: "80 06 1800 08010100 9000",
			command: "GPO", sw: "9000", class: ClassOK, responseHas: []string{"80 Response Message Template Format 1"}},
		{name: "read record masks pan and track 2", capdu: "00B2010C00", rapdu: recordHex + "9000",
			command: "READ RECORD", detail: "SFI 1 record 1", sw: "9000", class: ClassOK,
			responseHas: []string{"57 Track 2 Equivalent Data: 476173******0010=4912", "5A Application PAN: 476173******0010",
				"5F20 Cardholder Name: [withheld: 11 bytes]", "5F24 Application Expiration Date: 2049-12-31", "9F1F Track 1 Discretionary Data: [withheld: 4 bytes]"}},
		{name: "verify wrong pin", capdu: "0020008008241234FFFFFFFFFF", rapdu: "63C2",
			command: "VERIFY", detail: "plaintext PIN " + PINWithheld, sw: "63C2", status: "wrong PIN, 2 tries left", class: ClassError,
			capduWant: "0020008008", withheld: 8},
		{name: "verify last try", capdu: "0020008008241234FFFFFFFFFF", rapdu: "63C1", command: "VERIFY", sw: "63C1", status: "wrong PIN, 1 try left", class: ClassError, withheld: 8},
		{name: "verify blocked", capdu: "0020008008241234FFFFFFFFFF", rapdu: "6983", command: "VERIFY", sw: "6983",
			status: "authentication method blocked (PIN tries exhausted)", class: ClassError, withheld: 8},
		{name: "generate ac arqc", capdu: "80AE80001D 000000002000 000000000000 0250 0000000000 0978 250101 00 12345678 00",
			rapdu:   "77 1E 9F27 01 80 9F36 02 0001 9F26 08 0102030405060708 9F10 07 06010A03A00000 9000",
			command: "GENERATE AC", detail: "ARQC", sw: "9000", class: ClassOK,
			responseHas: []string{"9F27 Cryptogram Information Data: 80 (ARQC, go online)", "9F36 Application Transaction Counter: 0001"}},
		{name: "get data pin try counter", capdu: "80CA9F1700", rapdu: "9F1701039000", command: "GET DATA", detail: "9F17 PIN Try Counter",
			sw: "9000", class: ClassOK, responseHas: []string{"9F17 PIN Try Counter: 03"}},
		{name: "get response", capdu: "00C0000020", rapdu: "6120", command: "GET RESPONSE", sw: "6120", status: "OK, 32 more bytes: GET RESPONSE", class: ClassOK},
		{name: "wrong le", capdu: "00B2010C00", rapdu: "6C1E", command: "READ RECORD", sw: "6C1E", status: "wrong Le, the exact length is 30", class: ClassWarning},
		{name: "blocked app", capdu: "00A4040007A000000003101000", rapdu: "6A81", command: "SELECT", sw: "6A81",
			status: "function not supported (card or application blocked)", class: ClassError},
		{name: "record not found", capdu: "00B2030C00", rapdu: "6A83", command: "READ RECORD", detail: "SFI 1 record 3", sw: "6A83", status: "record not found", class: ClassError},
		{name: "conditions", capdu: "80AE40000100", rapdu: "6985", command: "GENERATE AC", detail: "TC", sw: "6985", status: "conditions of use not satisfied", class: ClassError},
		{name: "wrong length", capdu: "80A80000", rapdu: "6700", command: "GPO", sw: "6700", status: "wrong length", class: ClassError},
		{name: "unknown ins", capdu: "00120000", rapdu: "6D00", command: "INS 12", sw: "6D00", status: "instruction not supported", class: ClassError},
		{name: "unknown cla", capdu: "D0A40000", rapdu: "6E00", command: "SELECT", sw: "6E00", status: "class not supported", class: ClassError},
		{name: "no answer", capdu: "00B2010C00", command: "READ RECORD", class: ClassError},
		{name: "short answer", capdu: "00B2010C00", rapdu: "90", command: "READ RECORD", class: ClassError},
		{name: "short command", capdu: "00A4", rapdu: "6700", command: "malformed", sw: "6700", class: ClassError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r []byte
			if tt.rapdu != "" {
				r = hx(t, tt.rapdu)
			}
			e := DecodeAPDU(hx(t, tt.capdu), r)
			if e.Command != tt.command || (tt.detail != "" && e.Detail != tt.detail) || e.SW != tt.sw ||
				(tt.status != "" && e.Status != tt.status) || e.Class != tt.class || e.Withheld != tt.withheld {
				t.Errorf("got %+v", e)
			}
			if tt.capduWant != "" && e.CAPDU != tt.capduWant {
				t.Errorf("CAPDU %s, want %s", e.CAPDU, tt.capduWant)
			}
			text := FormatTLV(e.Response)
			for _, want := range tt.responseHas {
				if !strings.Contains(text, want) {
					t.Errorf("response\n%s\nlacks %q", text, want)
				}
			}
			// Lengths survive masking, so pcapng can write the entry.
			if got, want := len(e.CommandBytes()), len(hx(t, tt.capdu)); got != want {
				t.Errorf("CommandBytes %d bytes, want %d", got, want)
			}
			if len(r) >= 2 && len(e.ResponseBytes()) != len(r) {
				t.Errorf("ResponseBytes %d bytes, want %d", len(e.ResponseBytes()), len(r))
			}
			if s := e.Summary(); !strings.HasPrefix(s, tt.command) {
				t.Errorf("Summary %q", s)
			}
		})
	}
}

// TestNoSecretsInEntries checks the stored form (JSON) of entries that
// carried a PAN, track 2 discretionary data and a PIN block.
func TestNoSecretsInEntries(t *testing.T) {
	entries := []APDUEntry{
		DecodeAPDU(hx(t, "00B2010C00"), hx(t, recordHex+"9000")),
		DecodeAPDU(hx(t, "0020008008241234FFFFFFFFFF"), hx(t, "9000")),
		// Not BER-TLV: the PAN is found by the BCD and ASCII scans.
		DecodeAPDU(hx(t, "00B2010C00"), hx(t, "01 02 4761739001010010 9000")),
		DecodeAPDU(hx(t, "00B2010C00"), append([]byte("\x01x4761739001010010"), 0x90, 0x00)),
	}
	data, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ToUpper(string(data))
	for _, secret := range []string{testPAN, "9001010", "241234", "1234567899999", "31323334", hex.EncodeToString([]byte(testPAN))} {
		if strings.Contains(s, strings.ToUpper(secret)) {
			t.Errorf("stored entries contain %q:\n%s", secret, data)
		}
	}
	if !strings.Contains(s, "476173FFFFFF0010D4912"+strings.Repeat("F", 17)+"5A08476173FFFFFF0010") {
		t.Errorf("track 2 not masked in place:\n%s", data)
	}
}

// TestTimelineText: free text in evidence masks PANs (secrets.MaskText)
// and keeps AIDs and APDU headers whole, so Visa and Mastercard differ.
func TestTimelineText(t *testing.T) {
	start := time.Now()
	tests := map[string]string{
		"pan=4761739001010010 ok":         "pan=476173******0010 ok",
		"pan 5413 3300 8901 0434":         "pan 5413 33** **** 0434",
		"SELECT A0000000031010":           "SELECT A0000000031010",
		"SELECT A0000000041010":           "SELECT A0000000041010",
		"C-APDU 00A4040007A0000000041010": "C-APDU 00A4040007A0000000041010",
		"stan=000123 amount=1250":         "stan=000123 amount=1250",
		"20 digits 12345678901234567890":  "20 digits 12345678901234567890",
		"":                                "",
		"t2 4761739001010010=49122011234": "t2 476173******0010=4912*******",
	}
	for in, want := range tests {
		if got := NewTimelineEntry(start, start, "card", "event", in).Text; got != want {
			t.Errorf("NewTimelineEntry(%q).Text = %q, want %q", in, got, want)
		}
	}
}

func TestMaskBytes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4761739001010010", "476173FFFFFF0010"},
		{"01 4761739001010010 02", "014761FFFFFFFFFF1002"},               // the run is 20 digits: over-masked, never under
		{"00 00 00 00 20 00", "000000002000"},                            // 12 digits: an amount, kept
		{"0000000020000000000000000250", "000000FFFFFFFFFFFFFFFFFF0250"}, // longer than 19: masked too
		{hex.EncodeToString([]byte("x4761739001010010y")), hex.EncodeToString([]byte("x476173******0010y"))},
	}
	for _, tt := range tests {
		got := hex.EncodeToString(MaskBytes(hx(t, tt.in)))
		if !strings.EqualFold(got, strings.ReplaceAll(tt.want, " ", "")) {
			t.Errorf("MaskBytes(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseTLV(t *testing.T) {
	good := []string{"", "00 FF", "5A 02 1234", "70 04 5A 02 1234", "9F02 06 000000001250", "5A 81 02 1234", "BF0C 00"}
	for _, g := range good {
		if _, err := ParseTLV(hx(t, g)); err != nil {
			t.Errorf("ParseTLV(%s): %v", g, err)
		}
	}
	bad := []string{"5A", "5A 03 1234", "9F", "9F 9F 9F 9F 01 00", "5A 84 00000001 00", "5A 82 FF", "70 03 5A 05 00"}
	for _, b := range bad {
		if _, err := ParseTLV(hx(t, b)); err == nil {
			t.Errorf("ParseTLV(%s) accepted", b)
		}
	}
	b := []byte{}
	for range 12 {
		b = append([]byte{0x70, byte(len(b))}, b...)
	}
	if _, err := ParseTLV(b); err == nil {
		t.Error("12 levels of nesting accepted")
	}
}

func TestDOLAndAFL(t *testing.T) {
	fields, _, err := DecodeTLV(hx(t, "8C 06 9F0206 9F1A02 94 08 08010200 10010100"))
	if err != nil {
		t.Fatal(err)
	}
	text := FormatTLV(fields)
	for _, want := range []string{"8C CDOL1: 9F02 Amount, Authorised (6); 9F1A Terminal Country Code (2)", "94 Application File Locator: SFI 1 records 1-2 (0 for ODA); SFI 2 record 1 (0 for ODA)"} {
		if !strings.Contains(text, want) {
			t.Errorf("%s\nlacks %q", text, want)
		}
	}
}

func FuzzDecodeAPDU(f *testing.F) {
	f.Add(hx(f, "00B2010C00"), hx(f, recordHex+"9000"))
	f.Add(hx(f, "0020008008241234FFFFFFFFFF"), hx(f, "63C2"))
	f.Add(hx(f, "80A8000002830000"), hx(f, "80061800080101009000"))
	f.Add([]byte{0x00}, []byte{0x90})
	f.Fuzz(func(t *testing.T, c, r []byte) {
		e := DecodeAPDU(c, r)
		if len(c) >= 5 && pinINS[c[1]] && e.Withheld > 0 && len(e.CAPDU) > 12 {
			t.Fatalf("PIN command kept data: %s", e.CAPDU)
		}
		if len(e.CommandBytes()) != len(c) && len(c) >= 4 {
			t.Fatalf("CommandBytes %d bytes, command %d", len(e.CommandBytes()), len(c))
		}
		if len(r) >= 2 && len(e.ResponseBytes()) != len(r) {
			t.Fatalf("ResponseBytes %d bytes, response %d", len(e.ResponseBytes()), len(r))
		}
		_ = e.Summary()
	})
}

func FuzzParseTLV(f *testing.F) {
	f.Add(hx(f, recordHex))
	f.Add(hx(f, "5A 81 02 1234"))
	f.Add(hx(f, "9F 9F 9F"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, masked, err := DecodeTLV(b)
		if len(masked) != len(b) {
			t.Fatalf("masked %d bytes, input %d", len(masked), len(b))
		}
		if err == nil {
			_ = FormatTLV(fields)
		}
	})
}

// TestBytesOfScrubbedHex: an entry whose hex a record scrub masked ('*')
// still gives bytes of the same length, hidden nibbles as F.
func TestBytesOfScrubbedHex(t *testing.T) {
	e := APDUEntry{CAPDU: "80CA9F17**", RAPDU: "5A08476173******0010", SW: "9000"}
	if got := hex.EncodeToString(e.CommandBytes()); got != "80ca9f17ff" {
		t.Errorf("CommandBytes = %s", got)
	}
	if got := hex.EncodeToString(e.ResponseBytes()); got != "5a08476173ffffff00109000" {
		t.Errorf("ResponseBytes = %s", got)
	}
}
