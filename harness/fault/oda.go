package fault

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/fixtures/pki"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Offline data authentication faults act on what an ODA card (profile
// field oda, package pki) gives the terminal: a signature that does not
// verify, a CA key index the terminal does not know, an issuer
// certificate past its date. A terminal must then set the TVR bit of the
// method that failed and decline through its action codes.
func init() {
	Register("oda_signature", "chip: a byte of the card's ODA signature is wrong: {method: sda (93 in the records) | dda (9F4B of INTERNAL AUTHENTICATE) | cda (9F4B of GENERATE AC), nth: N (from 1; left out: every one)} (SDA/DDA/CDA failed: DECLINED offline)",
		func() Fault { return &ODASignature{} })
	Register("ca_index_unknown", "chip: the records name a CA public key index (8F) the terminal has no key for: {index: \"99\"} (ODA failed: DECLINED offline)",
		func() Fault { return &CAIndexUnknown{} })
	Register("issuer_cert_expired", "chip: the issuer public key certificate (90) is re-signed by poshil's test CA with an expiry in the past: {expiry: MMYY}, default last month (ODA failed: DECLINED offline)",
		func() Fault { return &IssuerCertExpired{} })
}

// rewriteAnswers installs an interceptor that rewrites the answers (data
// without the status word) of commands with INS in ins; an answer that is
// not BER-TLV, or an error status, is left alone.
func (c *cardHooks) rewriteAnswers(t Target, name string, ins []byte, fn func(data []byte) []byte) error {
	return c.install(t, name, emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		r, err := next(ctx, cmd)
		if err != nil || len(r) <= 2 || r[len(r)-2] != 0x90 || !strings.Contains(string(ins), string([]byte{cmd.INS})) {
			return r, err
		}
		return append(fn(r[:len(r)-2]), r[len(r)-2:]...), nil
	}})
}

// flipSignature turns a byte in the middle of a signature: its recovered
// data no longer has the header, trailer or hash it should.
func flipSignature(v []byte) []byte {
	if len(v) > 0 {
		v[len(v)/2] ^= 0x5A
	}
	return v
}

// ODASignature corrupts the card's ODA signatures: the signed static
// application data (93, SDA), the signed dynamic application data of
// INTERNAL AUTHENTICATE (9F4B, DDA) or of GENERATE AC (9F4B, CDA).
type ODASignature struct {
	cardHooks
	// Method is sda, dda or cda; empty: every signature.
	Method string `yaml:"method"`
	// Nth corrupts only the nth signature given from the injection (from
	// 1; left out: every one), e.g. method cda, nth 2: the signature of
	// the second GENERATE AC, after the host approved.
	Nth int `yaml:"nth"`
}

// Check: method is empty, sda, dda or cda; nth is not negative.
func (f *ODASignature) Check(n *yaml.Node) error {
	if f.Nth < 0 {
		return yamldoc.At(yamldoc.FindOr(n, "nth"), "oda_signature.nth: want 1 or more (left out: every signature), got %d", f.Nth)
	}
	switch strings.ToLower(f.Method) {
	case "", "sda", "dda", "cda":
		return nil
	}
	return yamldoc.At(yamldoc.FindOr(n, "method"), "oda_signature.method: want sda, dda or cda, got %q", f.Method)
}

// Inject installs the interceptor.
func (f *ODASignature) Inject(_ context.Context, t Target) error {
	m := strings.ToLower(f.Method)
	var ins []byte
	if m == "" || m == "sda" {
		ins = append(ins, Commands["READ_RECORD"])
	}
	if m == "" || m == "dda" {
		ins = append(ins, Commands["INTERNAL_AUTHENTICATE"])
	}
	if m == "" || m == "cda" {
		ins = append(ins, Commands["GENERATE_AC"])
	}
	var mu sync.Mutex
	seen := 0
	return f.rewriteAnswers(t, "oda_signature", ins, func(data []byte) []byte {
		tag := "9F4B"
		if data[0] == 0x70 {
			tag = "93"
		}
		out, n, err := emvcard.ReplaceTag(data, tag, func(v []byte) []byte {
			mu.Lock()
			defer mu.Unlock()
			if seen++; f.Nth == 0 || seen == f.Nth {
				return flipSignature(v)
			}
			return v
		})
		if err != nil || n == 0 {
			return data
		}
		return out
	})
}

// CAIndexUnknown rewrites the CA public key index (8F) in the records.
type CAIndexUnknown struct {
	cardHooks
	// Index is the index given instead, 2 hex digits (default 99).
	Index string `yaml:"index"`
}

// index is Index as a byte (99 by default).
func (f *CAIndexUnknown) index() (byte, error) {
	if f.Index == "" {
		return 0x99, nil
	}
	b, err := emvcard.ParseHex(f.Index)
	if err != nil || len(b) != 1 {
		return 0, fmt.Errorf("want 2 hex digits such as 99, got %q", f.Index)
	}
	return b[0], nil
}

// Check: one hex byte.
func (f *CAIndexUnknown) Check(n *yaml.Node) error {
	if _, err := f.index(); err != nil {
		return yamldoc.At(yamldoc.FindOr(n, "index"), "ca_index_unknown.index: %v", err)
	}
	return nil
}

// Inject installs the interceptor.
func (f *CAIndexUnknown) Inject(_ context.Context, t Target) error {
	idx, err := f.index()
	if err != nil {
		return fmt.Errorf("ca_index_unknown: %w", err)
	}
	return f.rewriteAnswers(t, "ca_index_unknown", []byte{Commands["READ_RECORD"]}, func(data []byte) []byte {
		out, _, err := emvcard.ReplaceTag(data, "8F", func([]byte) []byte { return []byte{idx} })
		if err != nil {
			return data
		}
		return out
	})
}

// IssuerCertExpired replaces the issuer public key certificate (90) in the
// records with the same certificate re-signed by poshil's test CA (the
// one the record's 8F names) with an expiry in the past: the signature is
// good, the date is not. A certificate not of the test PKI is left alone.
type IssuerCertExpired struct {
	cardHooks
	// Expiry is MMYY, in the past (default: last month at injection).
	Expiry string `yaml:"expiry"`
}

// expiry is Expiry or last month, as MMYY.
func (f *IssuerCertExpired) expiry() string {
	if f.Expiry != "" {
		return f.Expiry
	}
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), 0, 0, 0, 0, 0, time.UTC).Format("0106")
}

// Check: MMYY, a month before this one.
func (f *IssuerCertExpired) Check(n *yaml.Node) error {
	if f.Expiry == "" {
		return nil
	}
	e := f.Expiry
	if len(e) != 4 || strings.Trim(e, "0123456789") != "" || e[:2] < "01" || e[:2] > "12" {
		return yamldoc.At(yamldoc.FindOr(n, "expiry"), "issuer_cert_expired.expiry: want MMYY such as 0120, got %q", e)
	}
	if now := time.Now().UTC().Format("0601"); !before(e[2:]+e[:2], now) {
		return yamldoc.At(yamldoc.FindOr(n, "expiry"), "issuer_cert_expired.expiry %s: not in the past, so the certificate is not expired", e)
	}
	return nil
}

// Inject installs the interceptor.
func (f *IssuerCertExpired) Inject(_ context.Context, t Target) error {
	exp := f.expiry()
	return f.rewriteAnswers(t, "issuer_cert_expired", []byte{Commands["READ_RECORD"]}, func(data []byte) []byte {
		var idx, rem, e []byte
		for tag, dst := range map[string]*[]byte{"8F": &idx, "92": &rem, "9F32": &e} {
			_, _, _ = emvcard.ReplaceTag(data, tag, func(v []byte) []byte { *dst = v; return v })
		}
		if len(idx) != 1 {
			return data
		}
		out, _, err := emvcard.ReplaceTag(data, "90", func(v []byte) []byte {
			c, err := pki.Reissue(pki.Seed, idx[0], pki.Certificate{Cert: v, Remainder: rem, Exponent: e}, exp)
			if err != nil {
				return v
			}
			return c
		})
		if err != nil {
			return data
		}
		return out
	})
}
