package oracle

import (
	"strings"
	"testing"
)

// A plain-TCP connection to a TLS host fails the scenario in Judge and in
// Hold, whatever the outcome; on a plain host the count means nothing.
func TestPlainTCPToTLSHostFails(t *testing.T) {
	sc := load(t, late)
	s := good()
	s.log.Host.TLS, s.log.Host.Plain = true, 2
	for name, err := range map[string]error{
		"Judge": Judge(sc.File, &sc.Expect, s.log),
		"Hold":  Hold(sc.File, &sc.Expect, s.log),
	} {
		f := find(t, failures(t, err), "host tls")
		if !strings.Contains(f.Msg, "plain TCP 2 time(s)") || f.Pos.Line != 9 {
			t.Errorf("%s: %v", name, f)
		}
	}
	s.log.Host.Plain = 0
	if err := Judge(sc.File, &sc.Expect, s.log); err != nil {
		t.Errorf("TLS host, no plain TCP: %v", err)
	}
	s.log.Host.TLS, s.log.Host.Plain = false, 1
	if err := Judge(sc.File, &sc.Expect, s.log); err != nil {
		t.Errorf("plain host: %v", err)
	}
}
