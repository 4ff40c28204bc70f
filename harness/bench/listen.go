package bench

import (
	"net"
	"net/netip"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

// Check refuses a listen address other machines can reach (a wildcard or
// a non-loopback address) unless the bench sets expose: true. An address
// that does not parse is Bench.Check's to report.
func (h *EmulatedHost) Check(n *yaml.Node) error {
	if h.Listen == "" || h.Expose || checkAddress(h.Listen, true) != nil || LoopbackOnly(h.Listen) {
		return nil
	}
	return yamldoc.At(yamldoc.FindOr(n, "listen"), "host.emulated.listen %q is reachable from other machines: listen on 127.0.0.1, or set expose: true", h.Listen)
}

// LoopbackOnly reports whether a listen address (host:port) stays on this
// machine: a loopback address or "localhost".
func LoopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
