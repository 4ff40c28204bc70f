package runner

import (
	"testing"

	"github.com/poshil/poshil/drivers/ecr"
)

func TestMaskPANs(t *testing.T) {
	tests := map[string]string{
		"pan=4761739001010010 ok":        "pan=476173******0010 ok",
		"5413330089010434":               "541333******0434",
		"short 123456789012":             "short 123456789012",
		"stan=000123 amount=1250":        "stan=000123 amount=1250",
		"20 digits 12345678901234567890": "20 digits 12345678901234567890",
	}
	for in, want := range tests {
		if got := maskPANs(in); got != want {
			t.Errorf("maskPANs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDescribeMasksKeys(t *testing.T) {
	m := ecr.Message{Kind: ecr.Key, Fields: []ecr.Field{{Key: "keys", Value: "1234E"}}}
	if got := describe(m); got != "KEY keys=****E" {
		t.Errorf("describe = %q", got)
	}
}

func TestWrongPIN(t *testing.T) {
	if got := wrongPIN("1239"); got != "2340" {
		t.Errorf("wrongPIN = %q", got)
	}
}
