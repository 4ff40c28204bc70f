package fault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/hosttls"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// host_tls_cert puts its certificate in force on the host's TLS front and
// Clear (twice) puts the good one back.
func TestHostTLSCert(t *testing.T) {
	set, err := hosttls.Test()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []hosttls.Kind{hosttls.Expired, hosttls.WrongCA, hosttls.WrongName} {
		specs := proxySpecs(t, "faults:\n  - host_tls_cert: {cert: "+string(k)+"}\n")
		h := newHost(t)
		front := hosttls.NewFront(set)
		h.ServeTLS(front)
		tg := &proxyTarget{host: h}
		f := specs[0].Fault
		if err := f.Inject(t.Context(), tg); err != nil {
			t.Fatal(err)
		}
		if front.InForce() != k {
			t.Errorf("%s: %s in force", k, front.InForce())
		}
		for range 2 {
			if err := f.Clear(t.Context(), tg); err != nil {
				t.Fatal(err)
			}
		}
		if front.InForce() != hosttls.Good {
			t.Errorf("%s: after clear %s in force", k, front.InForce())
		}
	}
}

// A host without TLS cannot take the fault; a bad cert is INVALID where
// it is written.
func TestHostTLSCertRefused(t *testing.T) {
	specs := proxySpecs(t, "faults:\n  - host_tls_cert: {cert: expired}\n")
	err := specs[0].Fault.Inject(t.Context(), &proxyTarget{host: newHost(t)})
	if !errors.Is(err, fault.ErrUnsupported) {
		t.Errorf("plain host: %v, want ErrUnsupported", err)
	}
	for _, bad := range []string{"good", "revoked", ""} {
		var doc struct {
			Faults []fault.Spec `yaml:"faults"`
		}
		err := yamldoc.Decode("s.yaml", []byte("faults:\n  - host_tls_cert: {cert: \""+bad+"\"}\n"), &doc)
		if err == nil || !strings.Contains(err.Error(), "s.yaml:2:") {
			t.Errorf("cert %q: %v, want an error at s.yaml:2", bad, err)
		}
	}
}
