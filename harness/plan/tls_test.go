package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// host_tls_cert on a bench whose host does not serve TLS is INVALID at
// the fault, before anything runs.
func TestHostTLSCertNeedsTLSHost(t *testing.T) {
	sc, err := scenario.Parse("s.yaml", []byte("name: a\nfaults:\n  - host_tls_cert: {cert: expired}\nsteps: [{sale: 1}]\nexpect: {outcome: HOST_UNREACHABLE}\n"))
	if err != nil {
		t.Fatal(err)
	}
	plainHost := []fault.Part{fault.PartHost, fault.PartNetwork}
	err = Check(sc, plainHost)
	if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), "s.yaml:3:5: fault host_tls_cert needs the bench's host_tls") {
		t.Errorf("plain host: %v, want INVALID at 3:5", err)
	}
	if err := Check(sc, append(plainHost, fault.PartHostTLS)); err != nil {
		t.Errorf("TLS host: %v", err)
	}
}
