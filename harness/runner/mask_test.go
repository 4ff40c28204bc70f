package runner

import (
	"testing"

	"github.com/poshil/poshil/drivers/ecr"
)

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
