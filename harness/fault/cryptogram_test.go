package fault_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/fault"
)

// arqcOf runs SELECT, GPO and a first GENERATE AC (ARQC) on c.
func arqcOf(t *testing.T, c *emvcard.Card) string {
	t.Helper()
	playChip(t, c, "ARQC", []chipStep{{chipVisa, "9000", ""}, {chipGPO, "9000", ""}})
	data, sw := xchg(t, c, "80AE80001D000000001000000000000000005600000000000978491231001122334400")
	if sw != "9000" || len(data) < 44 {
		t.Fatalf("GENERATE AC: %s %s", data, sw)
	}
	return data[28:44]
}

// TestCardCloned: the card in play and a card inserted later compute
// another ARQC than a clean card; Clear gives them their own key back.
func TestCardCloned(t *testing.T) {
	ctx := context.Background()
	clean := arqcOf(t, chipCard(t, "visa-credit"))
	side := &cardSide{}
	tg := &cardTarget{side: side}
	inPlay := chipCard(t, "visa-credit")
	side.insert(inPlay)
	f := chipFault(t, "card_cloned: {}")
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if got := arqcOf(t, inPlay); got == clean {
		t.Fatalf("cloned card in play gave the clean ARQC %s", got)
	}
	later := chipCard(t, "visa-credit")
	side.insert(later)
	if got := arqcOf(t, later); got == clean {
		t.Fatalf("cloned card inserted later gave the clean ARQC %s", got)
	}
	for range 2 {
		if err := f.Clear(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*emvcard.Card{inPlay, later} {
		if !bytes.Equal(c.IssuerMasterKey(), c.Profile().IssuerMasterKey) {
			t.Errorf("after Clear: key %s, want the profile's", hex.EncodeToString(c.IssuerMasterKey()))
		}
	}
	if len(side.hooks) != 0 {
		t.Errorf("%d hooks left", len(side.hooks))
	}
}

func TestHostBadARPC(t *testing.T) {
	specs := proxySpecs(t, "faults:\n  - host_bad_arpc: {}\n")
	f := specs[0].Fault
	h := newHost(t)
	tg := &proxyTarget{host: h}
	if err := f.Inject(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	if got := h.Behaviour(); got != (acquirer.Behaviour{BadARPC: true}) {
		t.Fatalf("host behaviour %+v, want bad_arpc", got)
	}
	for range 2 {
		if err := f.Clear(t.Context(), tg); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.Behaviour(); got != (acquirer.Behaviour{}) {
		t.Fatalf("after clear %+v", got)
	}
	if _, ok := f.(*fault.HostBadARPC); !ok {
		t.Fatalf("host_bad_arpc decodes to %T", f)
	}
}

func TestHostIssuerScript(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want acquirer.Behaviour
	}{
		{"host_issuer_script: {}", acquirer.Behaviour{Script: acquirer.ScriptPINUnblock}},
		{"host_issuer_script: {bad_mac: true}", acquirer.Behaviour{Script: acquirer.ScriptPINUnblock, ScriptBadMAC: true}},
		{"host_issuer_script: {before: true}", acquirer.Behaviour{Script: acquirer.ScriptPINUnblock, ScriptBefore: true}},
	} {
		f := proxySpecs(t, "faults:\n  - "+tc.src+"\n")[0].Fault
		h := newHost(t)
		tg := &proxyTarget{host: h}
		if err := f.Inject(t.Context(), tg); err != nil {
			t.Fatal(err)
		}
		if got := h.Behaviour(); got != tc.want {
			t.Fatalf("%s: host behaviour %+v, want %+v", tc.src, got, tc.want)
		}
		for range 2 {
			if err := f.Clear(t.Context(), tg); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.Behaviour(); got != (acquirer.Behaviour{}) {
			t.Fatalf("%s: after clear %+v", tc.src, got)
		}
	}
}
