package bench

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

func TestHostDNS(t *testing.T) {
	tests := []struct{ name, old, new, want string }{
		{"bad name", "name: acquirer.poshil.test", "name: \"bad..name\"", `host.dns.name "bad..name": want a domain name`},
		{"an address as the name", "name: acquirer.poshil.test", "name: 127.0.0.1", `host.dns.name "127.0.0.1"`},
		{"listen", "dns:\n    name: acquirer.poshil.test", "dns:\n    listen: 127.0.0.1\n    name: acquirer.poshil.test", `host.dns.listen "127.0.0.1"`},
		{"resolver without dns", "  dns:\n    name: acquirer.poshil.test\n", "", "dut.process: {resolver} needs host.dns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := emulated(t)
			if !strings.Contains(doc, tt.old) {
				t.Fatalf("the shipped bench has no %q", tt.old)
			}
			doc = strings.Replace(doc, tt.old, tt.new, 1)
			var b Bench
			err := yamldoc.Decode("b.yaml", []byte(doc), &b)
			if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want INVALID %q", err, tt.want)
			}
		})
	}
	var b Bench
	if err := yamldoc.Decode("b.yaml", []byte(emulated(t)), &b); err != nil {
		t.Fatal(err)
	}
	if b.Host.DNS == nil || b.Host.DNS.Listen != "127.0.0.1:0" || !slices.Contains(b.Parts(), fault.PartDNS) {
		t.Fatalf("shipped bench: dns %+v, parts %v", b.Host.DNS, b.Parts())
	}
}
