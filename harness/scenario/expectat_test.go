package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/yamldoc"
)

func TestExpectSettle(t *testing.T) {
	base := "name: a\nsteps: [{sale: 1}]\ntimeout: 10s\nexpect:\n  outcome: APPROVED\n"
	s, err := Parse("s.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if s.Expect.Settle != 0 || s.Expect.SettleWindow() != DefaultSettle {
		t.Errorf("no settle: %v, window %v, want the default %v", s.Expect.Settle, s.Expect.SettleWindow(), DefaultSettle)
	}
	s, err = Parse("s.yaml", []byte(base+"  settle: 2s\n"))
	if err != nil || s.Expect.SettleWindow() != 2*time.Second {
		t.Fatalf("settle: 2s: %v, %v", s, err)
	}
	for doc, want := range map[string]string{
		base + "  settle: -1s\n":  "s.yaml:6:11: expect.settle -1s: want at least 100ms",
		base + "  settle: 50ms\n": "s.yaml:6:11: expect.settle 50ms: want at least 100ms",
		base + "  settle: 10s\n":  "s.yaml:6:11: expect.settle 10s is not shorter than the scenario's timeout 10s",
		base + "  settle: soon\n": "s.yaml:6:11: want a duration",
	} {
		if _, err := Parse("s.yaml", []byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", doc, err, want)
		}
	}
}

func TestExpectAt(t *testing.T) {
	// A merge key brings never and host; the explicit keys follow.
	doc := `name: a
steps: [{sale: 1}]
expect:
  <<: {never: [DECLINED, CANCELLED], host: {requests: 1}}
  outcome: APPROVED
  tries_left: 2
  fields: {entry: chip, aid: A0000000031010}
  within: 3s
  max_retransmits: 0
  settle: 1s
`
	s, err := Parse("s.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	at := s.Expect.At
	for name, tt := range map[string]struct {
		got       string
		line, col int
	}{
		"expect":          {at.Expect.String(), 4, 3},
		"outcome":         {at.Outcome.String(), 5, 12},
		"tries_left":      {at.TriesLeft.String(), 6, 15},
		"fields.entry":    {at.FieldAt("entry").String(), 7, 19},
		"fields.aid":      {at.FieldAt("aid").String(), 7, 30},
		"fields.other":    {at.FieldAt("other").String(), 7, 3},
		"within":          {at.Within.String(), 8, 11},
		"max_retransmits": {at.MaxRetransmits.String(), 9, 20},
		"settle":          {at.Settle.String(), 10, 11},
		"never[0]":        {at.NeverAt(0).String(), 4, 16},
		"never[1]":        {at.NeverAt(1).String(), 4, 26},
		"host":            {at.Host.String(), 4, 38},
		"host.requests":   {at.Requests.String(), 4, 55},
		"host.reversals":  {at.Reversals.String(), 4, 38},
	} {
		want := yamldoc.Pos{Line: tt.line, Col: tt.col}
		if tt.got != want.String() {
			t.Errorf("%s at %s, want %s", name, tt.got, want)
		}
	}
}
