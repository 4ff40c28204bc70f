package bench

import (
	"errors"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/yamldoc"
)

// The shipped bench serves TLS and gives the DUT the CA; {host_ca}
// without host.tls, and host.tls without an emulated host, are INVALID.
func TestHostTLSBench(t *testing.T) {
	var b Bench
	if err := yamldoc.Decode("b.yaml", []byte(emulated(t)), &b); err != nil {
		t.Fatal(err)
	}
	if b.Host.TLS == nil || !usesHostCA(map[string]any(b.DUT.Process.Config)) {
		t.Fatalf("the shipped bench does not serve TLS to its DUT: %+v", b.Host)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"config names {host_ca} without tls", "  tls: {}", "", "dut.process.config: {host_ca}: the bench's host does not serve TLS"},
		{"command names {host_ca} without tls", "  tls: {}", "", "dut.process.command: {host_ca}"},
		{"tls without an emulated host", "name: emulated", "name: x", "host.tls: only the emulated host"},
	} {
		doc := emulated(t)
		switch tc.name {
		case "command names {host_ca} without tls":
			doc = strings.Replace(doc, `"{config}"]`, `"{config}", "{host_ca}"]`, 1)
		case "tls without an emulated host":
			doc = "name: real\ncard: {reader: ACS ACR39U}\necr: {port: /dev/ttyUSB0}\nhost:\n  address: testhost:5000\n  tls: {}\n"
		}
		if tc.old != "name: emulated" {
			doc = strings.Replace(doc, tc.old, tc.new, 1)
		}
		var b Bench
		err := yamldoc.Decode("b.yaml", []byte(doc), &b)
		if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want INVALID %q", tc.name, err, tc.want)
		}
	}
}
