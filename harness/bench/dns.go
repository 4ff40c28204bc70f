package bench

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

// Resolver is the placeholder for the address (host:port) of the bench's
// DNS server, on a bench with host.dns: a DUT that takes a resolver
// address is pointed at it.
const Resolver = "{resolver}"

func init() { Placeholders = append(Placeholders, Resolver) }

// HostDNS gives the DUT the host as a name: poshil's DNS server runs on
// Listen and answers Name with the address the DUT would otherwise be
// given (the fault proxy's, or the host's); {host} is then Name:port and
// {resolver} the server's address. DNS faults (dns_nxdomain,
// dns_servfail, dns_timeout) need it.
type HostDNS struct {
	// Name is the host's name, e.g. acquirer.poshil.test (a name under
	// .test never leaks to a real resolver).
	Name string `yaml:"name"`
	// Listen is where the DNS server answers, UDP and TCP (default
	// 127.0.0.1:0, a free port; 127.0.0.1:53 for a DUT that can only use
	// the standard port).
	Listen string `yaml:"listen"`
}

// checkDNS validates host.dns, and {resolver} only where there is one.
func (b *Bench) checkDNS(add func(path, format string, args ...any)) {
	d := b.Host.DNS
	if d == nil {
		if p := b.DUT.Process; p != nil && usesResolver(p) {
			add("dut.process", "dut.process: {resolver} needs host.dns (the bench's DNS server)")
		}
		return
	}
	if b.Host.Emulated == nil && b.Host.Address == "" {
		add("host.dns", "host.dns: a name for which host? set host.emulated or host.address")
	}
	if _, ok := dns.IsDomainName(d.Name); !ok || strings.Trim(d.Name, ".") == "" || net.ParseIP(d.Name) != nil {
		add("host.dns.name", "host.dns.name %q: want a domain name, e.g. acquirer.poshil.test", d.Name)
	}
	if d.Listen == "" {
		d.Listen = "127.0.0.1:0"
	}
	if err := checkAddress(d.Listen, true); err != nil {
		add("host.dns.listen", "host.dns.listen %q: want host:port to answer on: %v", d.Listen, err)
	}
}

// usesResolver reports whether p's command, environment or config names
// {resolver}.
func usesResolver(p *Process) bool {
	var in func(v any) bool
	in = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.Contains(v, Resolver)
		case map[string]any:
			for _, x := range v {
				if in(x) {
					return true
				}
			}
		case []any:
			for _, x := range v {
				if in(x) {
					return true
				}
			}
		}
		return false
	}
	for _, a := range p.Command {
		if in(a) {
			return true
		}
	}
	for _, e := range p.Env {
		if in(e) {
			return true
		}
	}
	return in(p.Config)
}
