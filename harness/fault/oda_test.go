package fault_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/fixtures/pki"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

const (
	chipMC      = "00A4040007A000000004101000"
	chipRec31   = "00B2011C00" // SFI 3 record 1: 8F, 90, 92, 9F32
	chipRec32   = "00B2021C00" // SFI 3 record 2: 93 or 9F46 ...
	chipIntAuth = "008800000411223344 00"
	chipCDA     = "80AE90001D 000000001000 000000000000 0056 0000000000 0978 491231 00 11223344 00"
)

// tagOf is the value of tag in BER-TLV given as hex.
func tagOf(t *testing.T, data, tag string) []byte {
	t.Helper()
	b, _ := hex.DecodeString(data)
	var v []byte
	if _, _, err := emvcard.ReplaceTag(b, tag, func(x []byte) []byte { v = x; return x }); err != nil {
		t.Fatal(err)
	}
	return v
}

// odaRead plays script on a fresh shelf card under the fault (nil: none)
// and returns the value of tag in the last answer.
func odaRead(t *testing.T, card string, f fault.Fault, tag string, script ...string) []byte {
	t.Helper()
	side := &cardSide{}
	tg := &cardTarget{side: side}
	side.insert(chipCard(t, card))
	if f != nil {
		if err := f.Inject(context.Background(), tg); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := f.Clear(context.Background(), tg); err != nil || len(side.hooks) != 0 {
				t.Errorf("Clear: %v, %d hooks left", err, len(side.hooks))
			}
		}()
	}
	var data, sw string
	for _, c := range script {
		if data, sw = xchg(t, side.card, c); sw != "9000" {
			t.Fatalf("%s: SW %s", c, sw)
		}
	}
	return tagOf(t, data, tag)
}

// Each ODA fault changes exactly what it says, and nothing once cleared.
func TestODAFaults(t *testing.T) {
	diff := func(a, b []byte) int {
		n := 0
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				n++
			}
		}
		return n + max(len(a), len(b)) - min(len(a), len(b))
	}
	for _, tc := range []struct {
		name, yaml, card, tag string
		script                []string
	}{
		{"SDA", "oda_signature: {method: sda}", "visa-sda", "93", []string{chipVisa, chipRec32}},
		{"DDA", "oda_signature: {method: dda}", "visa-dda", "9F4B", []string{chipVisa, chipGPO, chipIntAuth}},
		{"CDA", "oda_signature: {method: cda}", "mc-cda", "9F4B", []string{chipMC, chipGPO, chipCDA}},
		{"any", "oda_signature:", "mc-cda", "9F4B", []string{chipMC, chipGPO, chipIntAuth}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := odaRead(t, tc.card, nil, tc.tag, tc.script...)
			bad := odaRead(t, tc.card, chipFault(t, tc.yaml), tc.tag, tc.script...)
			if len(good) < 128 || diff(good, bad) != 1 {
				t.Fatalf("%d-byte signature, %d bytes changed, want 1", len(good), diff(good, bad))
			}
		})
	}
	// nth: only the second GENERATE AC's signature (the TC) is wrong.
	second := chipFault(t, "oda_signature: {method: cda, nth: 2}")
	side := &cardSide{}
	side.insert(chipCard(t, "mc-cda"))
	if err := second.Inject(context.Background(), &cardTarget{side: side}); err != nil {
		t.Fatal(err)
	}
	ref := chipCard(t, "mc-cda")
	cdol2 := "80AE500029 3030 00000000000000000000 000000001000 000000000000 0056 0000000000 0978 491231 00 11223344 00"
	for i, c := range []string{chipMC, chipGPO, chipCDA, cdol2} {
		got, sw := xchg(t, side.card, c)
		want, _ := xchg(t, ref, c)
		if sw != "9000" || (got == want) != (i < 3) {
			t.Errorf("nth 2, command %d: SW %s, changed %v", i+1, sw, got != want)
		}
	}
	if err := second.Clear(context.Background(), &cardTarget{side: side}); err != nil {
		t.Fatal(err)
	}

	// A method's fault leaves the other signatures alone.
	good := odaRead(t, "mc-cda", nil, "9F4B", chipMC, chipGPO, chipIntAuth)
	if got := odaRead(t, "mc-cda", chipFault(t, "oda_signature: {method: cda}"), "9F4B", chipMC, chipGPO, chipIntAuth); diff(good, got) != 0 {
		t.Error("method cda changed INTERNAL AUTHENTICATE")
	}

	if idx := odaRead(t, "visa-dda", chipFault(t, "ca_index_unknown:"), "8F", chipVisa, chipRec31); len(idx) != 1 || idx[0] != 0x99 {
		t.Errorf("ca_index_unknown: 8F %X, want 99", idx)
	}
	if idx := odaRead(t, "visa-dda", chipFault(t, `ca_index_unknown: {index: "F7"}`), "8F", chipVisa, chipRec31); len(idx) != 1 || idx[0] != 0xF7 {
		t.Errorf("ca_index_unknown F7: 8F %X", idx)
	}

	// The expired certificate is the good one re-signed with another date:
	// re-signed back with the good date it is the good one again.
	orig := odaRead(t, "visa-sda", nil, "90", chipVisa, chipRec31)
	old := odaRead(t, "visa-sda", chipFault(t, `issuer_cert_expired: {expiry: "0120"}`), "90", chipVisa, chipRec31)
	rem := odaRead(t, "visa-sda", nil, "92", chipVisa, chipRec31)
	back, err := pki.Reissue(pki.Seed, 0xF1, pki.Certificate{Cert: old, Remainder: rem, Exponent: []byte{3}}, "1249")
	if err != nil || diff(orig, old) == 0 || diff(back, orig) != 0 {
		t.Errorf("issuer_cert_expired: changed %v, back to the original %v (%v)", diff(orig, old) != 0, diff(back, orig) == 0, err)
	}
}

func TestODAFaultsChecked(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"oda_signature: {method: xda}", "s.yaml:2:29: oda_signature.method: want sda, dda or cda"},
		{"oda_signature: {nth: -1}", "oda_signature.nth: want 1 or more"},
		{`ca_index_unknown: {index: "ZZ"}`, "ca_index_unknown.index: want 2 hex digits"},
		{`issuer_cert_expired: {expiry: "1320"}`, "issuer_cert_expired.expiry: want MMYY"},
		{`issuer_cert_expired: {expiry: "1248"}`, "not in the past"},
	} {
		_, err := chipSpecs("faults:\n  - " + tc.src + "\n")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, name := range []string{"oda_signature", "ca_index_unknown", "issuer_cert_expired"} {
		f := chipFault(t, name+":")
		if n := fault.NeedsOf(f); len(n) != 1 || n[0] != fault.PartCard || fault.Doc(name) == "" {
			t.Errorf("%s needs %v, doc %q", name, n, fault.Doc(name))
		}
		if err := f.Inject(context.Background(), &cardTarget{}); !errors.Is(err, fault.ErrUnsupported) {
			t.Errorf("%s without a card: %v", name, err)
		}
	}
}
