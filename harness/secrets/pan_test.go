package secrets

import "testing"

func TestMaskPAN(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"1234", "****"},
		{"1234567", "*******"},
		{"12345678", "****5678"},
		{"123456789012", "********9012"},
		{"1234567890123", "123456***0123"},
		{"4761739001010010", "476173******0010"},
		{"6011000990139424123", "601100*********4123"},
	} {
		if got := MaskPAN(tt.in); got != tt.want {
			t.Errorf("MaskPAN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLuhn(t *testing.T) {
	for in, want := range map[string]bool{
		"4761739001010010": true, "5413330089010434": true, "4111111111111111": true,
		"4111111111111112": false, "0": false, "": false, "47617390010100x0": false,
		"79927398713": true,
	} {
		if got := Luhn(in); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestMaskDigits(t *testing.T) {
	if got := MaskDigits("1234E C9x"); got != "****E C*x" {
		t.Errorf("MaskDigits = %q, want ****E C*x", got)
	}
}
