package fault_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/termkeys"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// TestHostSignOnRefusedAndBadMAC: each sets its behaviour on the host and
// Clear (twice) takes exactly it out.
func TestHostSignOnRefusedAndBadMAC(t *testing.T) {
	for _, c := range []struct {
		src  string
		want acquirer.Behaviour
	}{
		{"host_signon_refused: {}", acquirer.Behaviour{SignOnRefused: "58"}},
		{"host_signon_refused: {code: \"91\"}", acquirer.Behaviour{SignOnRefused: "91"}},
		{"host_bad_mac: {}", acquirer.Behaviour{BadMAC: true}},
	} {
		f := proxySpecs(t, "faults:\n  - "+c.src+"\n")[0].Fault
		h := newHost(t)
		tg := &proxyTarget{host: h}
		if err := f.Inject(t.Context(), tg); err != nil {
			t.Fatal(err)
		}
		if got := h.Behaviour(); got != c.want {
			t.Fatalf("%s: host behaviour %+v, want %+v", c.src, got, c.want)
		}
		for range 2 {
			if err := f.Clear(t.Context(), tg); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.Behaviour(); got != (acquirer.Behaviour{}) {
			t.Fatalf("%s: after clear %+v", c.src, got)
		}
	}
	var doc struct {
		Faults []fault.Spec `yaml:"faults"`
	}
	err := yamldoc.Decode("s.yaml", []byte("faults:\n  - host_signon_refused: {code: \"00\"}\n"), &doc)
	if err == nil || !strings.Contains(err.Error(), "s.yaml:2:") {
		t.Errorf("code 00: %v, want an error at its place", err)
	}
}

// TestHostKeysOutOfSync: after Inject the terminal's MAC fails at the
// host (63); Clear brings its keys back; with nobody signed on Inject
// says it cannot run.
func TestHostKeysOutOfSync(t *testing.T) {
	h := newHost(t)
	addr, err := h.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &proxyTarget{host: h}
	f := proxySpecs(t, "faults:\n  - host_keys_out_of_sync: {}\n")[0].Fault
	if err := f.Inject(t.Context(), tg); !errors.Is(err, fault.ErrUnsupported) {
		t.Fatalf("nobody signed on: %v, want ErrUnsupported", err)
	}
	_ = f.Clear(t.Context(), tg)

	tmk, _ := termkeys.ParseKey(termkeys.DefaultTMK)
	resp := exchange(t, addr.String(), &acquirer.Txn{MTI: "0800", STAN: 1, TerminalID: "T1", NetworkCode: acquirer.NMSignOn}, nil)
	keys, err := acquirer.ParseKeyData(tmk, resp.KeyData)
	if err != nil {
		t.Fatal(err)
	}
	sale := func(stan int) string {
		return exchange(t, addr.String(), &acquirer.Txn{MTI: "0200", PAN: "4761739001010010", ProcessingCode: "000000",
			Amount: 100, STAN: stan, TerminalID: "T1"}, keys.MAC).ResponseCode
	}
	if err := f.Inject(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	if rc := sale(2); rc != acquirer.RCSecurity {
		t.Fatalf("out of sync: %s, want 63", rc)
	}
	for range 2 {
		if err := f.Clear(t.Context(), tg); err != nil {
			t.Fatal(err)
		}
	}
	if rc := sale(3); rc != "00" {
		t.Fatalf("after Clear: %s, want 00", rc)
	}
}

// exchange sends req (MACed under mac unless nil) and returns the answer.
func exchange(t *testing.T, addr string, req *acquirer.Txn, mac []byte) *acquirer.Txn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b []byte
	if mac != nil {
		b, err = acquirer.EncodeMAC(req, mac)
	} else {
		b, err = acquirer.Encode(req)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := acquirer.WriteFrame(ctx, c, b); err != nil {
		t.Fatal(err)
	}
	rb, err := acquirer.ReadFrame(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := acquirer.Decode(rb)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
