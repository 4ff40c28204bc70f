package fault

import (
	"context"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/hosttls"
	"github.com/poshil/poshil/harness/yamldoc"
)

// PartHostTLS is an emulated host that serves TLS (bench host.tls).
const PartHostTLS Part = "host_tls"

func init() {
	Register("host_tls_cert", "the TLS host presents a bad certificate: {cert: expired}, {cert: wrong_ca} or {cert: wrong_name}; the terminal must refuse it and never fall back to plain TCP (bench host.tls)",
		func() Fault { return &HostTLSCert{} })
}

// HostTLSCert makes the emulated host (and the fault proxy standing for
// it) present a bad TLS certificate to new connections: expired, issued
// by a CA the terminal does not trust, or issued for another name (see
// package hosttls). The host's key stays the same. It needs a bench whose
// host serves TLS (host.tls).
//
//   - host_tls_cert: {cert: wrong_name}
type HostTLSCert struct {
	Cert hosttls.Kind `yaml:"cert"`

	undo undoList
}

// Check validates the settings when the scenario is read.
func (f *HostTLSCert) Check(n *yaml.Node) error {
	if f.Cert == hosttls.Good || !slices.Contains(hosttls.Kinds, f.Cert) {
		return yamldoc.At(yamldoc.FindOr(n, "cert"), "host_tls_cert: cert %q: want expired, wrong_ca or wrong_name", f.Cert)
	}
	return nil
}

// Needs implements Needer.
func (f *HostTLSCert) Needs() []Part { return []Part{PartHost, PartHostTLS} }

// Inject implements Fault.
func (f *HostTLSCert) Inject(ctx context.Context, t Target) error {
	h, err := hostOf(t)
	if err != nil {
		return err
	}
	front := h.TLS()
	if front == nil {
		return fmt.Errorf("%w: the emulated host does not serve TLS (set host.tls in the bench)", ErrUnsupported)
	}
	restore, err := front.Use(f.Cert)
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(restore))
	return nil
}

// Clear implements Fault.
func (f *HostTLSCert) Clear(ctx context.Context, t Target) error { return f.undo.run() }
