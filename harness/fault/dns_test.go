package fault_test

import (
	"slices"
	"testing"

	"github.com/poshil/poshil/fixtures/nameserver"
	"github.com/poshil/poshil/harness/fault"
)

// fakeDNS is a nameserver.Failer that records.
type fakeDNS struct{ impairments }

func (d *fakeDNS) Fail(f nameserver.Failure) func() { return d.add("dns " + f.String()) }

// dnsTarget is a target whose only part is a DNS server.
type dnsTarget struct {
	proxyTarget
	dns any
}

func (t *dnsTarget) Part(p fault.Part) any {
	if p == fault.PartDNS {
		return t.dns
	}
	return nil
}

func TestDNSFaults(t *testing.T) {
	specs := proxySpecs(t, `faults:
  - dns_nxdomain: {}
  - dns_servfail:
  - dns_timeout: {}
`)
	for _, s := range specs {
		if got := fault.NeedsOf(s.Fault); !slices.Equal(got, []fault.Part{fault.PartDNS}) {
			t.Errorf("%s needs %v", s.Name, got)
		}
	}
	d := &fakeDNS{}
	injectClear(t, &dnsTarget{dns: d}, &d.impairments, specs, "dns nxdomain,dns servfail,dns silent")
	if err := specs[0].Fault.Inject(t.Context(), &dnsTarget{}); err == nil {
		t.Fatal("inject on a bench without DNS: no error")
	}
}
