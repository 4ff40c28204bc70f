package fault

import (
	"context"
	"fmt"

	"github.com/poshil/poshil/fixtures/nameserver"
)

// PartDNS is the bench's DNS server, which gives the DUT the host as a
// name (bench host.dns; a nameserver.Failer).
const PartDNS Part = "dns"

func init() {
	Register("dns_nxdomain", "the host's name does not resolve: the DNS server answers NXDOMAIN (no such name)",
		func() Fault { return &DNSFail{Failure: nameserver.NXDomain} })
	Register("dns_servfail", "the DNS server fails every query (SERVFAIL)",
		func() Fault { return &DNSFail{Failure: nameserver.ServFail} })
	Register("dns_timeout", "the DNS server answers no query: the terminal's resolver times out",
		func() Fault { return &DNSFail{Failure: nameserver.Silent} })
}

// DNSFail makes the bench's DNS server fail every query until Clear, as
// Failure says; the host itself stays up and reachable by its address.
//
//   - dns_nxdomain: {}
//   - dns_servfail: {}
//   - dns_timeout: {}
type DNSFail struct {
	Failure nameserver.Failure `yaml:"-"`

	undo undoList
}

// Needs implements Needer.
func (f *DNSFail) Needs() []Part { return []Part{PartDNS} }

// Inject implements Fault.
func (f *DNSFail) Inject(ctx context.Context, t Target) error {
	s, ok := t.Part(PartDNS).(nameserver.Failer)
	if !ok || s == nil {
		return fmt.Errorf("%w: no DNS server (part %s: set host.dns in the bench)", ErrUnsupported, PartDNS)
	}
	f.undo.push(undoFunc(s.Fail(f.Failure)))
	return nil
}

// Clear implements Fault: the server answers again.
func (f *DNSFail) Clear(ctx context.Context, t Target) error { return f.undo.run() }
