package bench

import (
	"strings"

	"github.com/poshil/poshil/fixtures/hosttls"
)

// HostTLS makes the emulated host serve TLS (key host.tls): with the
// certificate of poshil's test PKI for hosttls.ServerName, TLS 1.2 and
// later only. Through the bench's fault proxy the proxy stands for the
// host (it presents the same certificate) so network faults still act on
// each message. The DUT is given the test CA as {host_ca}; any
// connection that begins in plain TCP fails the scenario.
type HostTLS struct {
	// Seed is the seed of the test PKI; empty: poshil's published one
	// (hosttls.Seed, whose CA is fixtures/hosttls/testdata/ca.pem).
	Seed string `yaml:"seed"`
}

// SeedOrDefault is the seed the PKI is derived from.
func (t *HostTLS) SeedOrDefault() string {
	if t == nil || t.Seed == "" {
		return hosttls.Seed
	}
	return t.Seed
}

// HostCA is the placeholder for the file of the CA that issued the
// emulated host's TLS certificate (PEM), on a bench with host.tls.
const HostCA = "{host_ca}"

// usesHostCA reports whether v (a process config value) names {host_ca}.
func usesHostCA(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, HostCA)
	case map[string]any:
		for _, e := range x {
			if usesHostCA(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if usesHostCA(e) {
				return true
			}
		}
	}
	return false
}
