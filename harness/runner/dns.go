package runner

import (
	"context"
	"fmt"
	"net"

	"github.com/poshil/poshil/fixtures/nameserver"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/verdict"
)

// startDNS runs the bench's DNS server when the bench asks (host.dns): it
// answers the host's name with the address the DUT was to be given (the
// proxy's, or the host's), and the DUT is given the name instead.
func (r *Rig) startDNS(ctx context.Context) error {
	d := r.Bench.Host.DNS
	if d == nil || r.dutHost == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(r.dutHost)
	if err != nil {
		return verdict.Bench("dns", err)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host)
		if err != nil || len(ips) == 0 {
			return verdict.Bench("dns", fmt.Errorf("the host %s has no IPv4 address to serve as %s: %v", host, d.Name, err))
		}
		ip = ips[0]
	}
	r.dns = nameserver.New()
	if err := r.dns.Set(d.Name, ip); err != nil {
		return verdict.Bench("dns", err)
	}
	// The server lives as long as the rig (Close stops it), not Up's ctx.
	if _, err := r.dns.Start(context.WithoutCancel(ctx), d.Listen); err != nil {
		return verdict.Bench("dns", err)
	}
	r.dutHost = net.JoinHostPort(d.Name, port)
	r.faultParts[fault.PartDNS] = r.dns
	return nil
}

// resolverAddr is the {resolver} the DUT is given: the DNS server's
// address, or "" on a bench without one.
func (r *Rig) resolverAddr() string {
	if r.dns == nil {
		return ""
	}
	return r.dns.Addr()
}
