package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// emulated is the shipped bench's text, edited by each case.
func emulated(t *testing.T) string {
	t.Helper()
	_, data := benches.Emulated()
	return string(data)
}

// TestBenchErrorsAtTheirKey: every bench value that can never work is
// INVALID at its key's line:col, not at the bench's first line. The line
// is that of the text at (so comments added to the shipped bench do not
// move the expectations); want holds the column and the message.
func TestBenchErrorsAtTheirKey(t *testing.T) {
	tests := []struct{ name, old, new, at, want string }{
		{"negative boot_timeout", "boot_timeout: 10s", "boot_timeout: -1s", "boot_timeout: -1s", ":17: dut.boot_timeout -1s: want a duration above zero"},
		{"zero boot_timeout", "boot_timeout: 10s", "boot_timeout: 0s", "boot_timeout: 0s", ":17: dut.boot_timeout 0s"},
		{"negative nominal", "nominal: 4.2V", "nominal: -3V", "nominal: -3V", ":12: power.nominal -3V: want a supply voltage above 0 V and at most 60V"},
		{"nominal of 1000 V", "nominal: 4.2V", "nominal: 1000V", "nominal: 1000V", ":12: power.nominal 1000V"},
		{"zero nominal", "nominal: 4.2V", "nominal: 0V", "nominal: 0V", ":12: power.nominal 0V"},
		{"supply", "supply: emulated", "supply: bench-psu", "supply: bench-psu", ":11: power.supply \"bench-psu\""},
		{"empty reader", "reader: Virtual PCD 00 00", "reader: \"\"", "reader: \"\"", ":11: card.reader"},
		{"emulator port", "emulator: 127.0.0.1:35963", "emulator: 127.0.0.1:99999", "emulator: 127.0.0.1:99999", ":13: card.emulator \"127.0.0.1:99999\""},
		{"emulator without port", "emulator: 127.0.0.1:35963", "emulator: 127.0.0.1", "emulator: 127.0.0.1", ":13: card.emulator \"127.0.0.1\""},
		{"listen address", "listen: 127.0.0.1:0", "listen: localhost", "listen: localhost", ":13: host.emulated.listen \"localhost\""},
		{"ecr baud", "port: emulated       # a pty pair through", "port: emulated\n  baud: -9600 # a pty pair through", "baud: -9600", ":9: ecr.baud: -9600"},
		{"msr baud", "port: emulated       # a pty pair; poshil", "port: emulated\n  baud: 5000000 # a pty pair; poshil", "baud: 5000000", ":9: msr.baud: 5000000"},
		{"empty msr port", "port: emulated       # a pty pair; poshil", "port: \"\" # a pty pair; poshil", "port: \"\"", ":9: msr.port"},
		{"adapter", "adapter: ecr", "adapter: telnet", "adapter: telnet", ":12: dut.adapter \"telnet\""},
		{"empty command", "command: [refterm, --config, \"{config}\"]", "command: [\"\"]", "command: [\"\"]", ":14: dut.process.command: give the program"},
		{"placeholder", "command: [refterm, --config, \"{config}\"]", "command: [refterm, --config, \"{cnofig}\"]", "command: [refterm, --config, \"{cnofig}\"]", ":34: dut.process.command: unknown placeholder {cnofig}"},
		{"env name", "    config:\n", "    env: {\"A=B\": x}\n    config:\n", "env: {\"A=B\": x}", ":10: dut.process.env \"A=B\""},
		{"no name", "name: emulated", "name: \"\"", "name: \"\"", ":7: bench needs a name"},
		{"host address", "", "name: real\ncard: {reader: ACS ACR39U}\necr: {port: /dev/ttyUSB0}\nhost:\n  address: testhost:0\n", "address: testhost:0", ":12: host.address \"testhost:0\""},
		{"host address without port", "", "name: real\ncard: {reader: ACS ACR39U}\necr: {port: /dev/ttyUSB0}\nhost:\n  address: testhost\n", "address: testhost", ":12: host.address \"testhost\""},
		{"remote ecr without port", "port: emulated       # a pty pair through", "port: rfc2217://ser2net.lab # a pty pair through", "port: rfc2217://ser2net.lab", ":9: ecr.port \"rfc2217://ser2net.lab\": want rfc2217://host:port or tcp://host:port"},
		{"remote ecr with a path", "port: emulated       # a pty pair through", "port: tcp://10.0.0.9:3001/x # a pty pair through", "port: tcp://10.0.0.9:3001/x", ":9: ecr.port \"tcp://10.0.0.9:3001/x\": want rfc2217://host:port or tcp://host:port of a port server: port \"3001/x\""},
		{"msr format", "format: raw          # the head's bits", "format: binary # the head's bits", "format: binary", ":11: msr.format \"binary\": want ascii or raw"},
		{"ecr format", "port: emulated       # a pty pair through", "port: emulated\n  format: raw # a pty pair through", "format: raw", ":11: ecr.format: a format is for the swipe reader (msr) only"},
		{"dut clock", "clock: env", "clock: sometimes", "clock: sometimes", ":12: dut.process.clock \"sometimes\": want libfaketime"},
		{"msr proxy", "port: emulated       # a pty pair; poshil", "port: emulated\n  proxy: true # a pty pair; poshil", "proxy: true", ":10: msr.proxy: the line fault proxy is for the ECR line only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.new // a bench of its own
			if tt.old != "" {
				doc = emulated(t)
				if !strings.Contains(doc, tt.old) {
					t.Fatalf("the shipped bench has no %q", tt.old)
				}
				doc = strings.Replace(doc, tt.old, tt.new, 1)
			}
			i := strings.Index(doc, tt.at)
			if i < 0 {
				t.Fatalf("the edited bench has no %q", tt.at)
			}
			want := fmt.Sprintf("b.yaml:%d%s", 1+strings.Count(doc[:i], "\n"), tt.want)
			var b Bench
			err := yamldoc.Decode("b.yaml", []byte(doc), &b)
			if !errors.Is(err, yamldoc.ErrInvalid) {
				t.Fatalf("got %v, want INVALID", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got\n%v\nwant\n%s...", err, want)
			}
		})
	}
}

// TestShippedBenchValid: the edges of each bound are accepted.
func TestShippedBenchValid(t *testing.T) {
	doc := strings.Replace(emulated(t), "nominal: 4.2V", "nominal: 60V", 1)
	doc = strings.Replace(doc, "port: emulated       # a pty pair through", "port: emulated\n  baud: 4000000 # a pty pair through", 1)
	var b Bench
	if err := yamldoc.Decode("b.yaml", []byte(doc), &b); err != nil {
		t.Fatal(err)
	}
	if b.DUT.BootTimeout <= 0 || b.ECR.Baud != 4000000 {
		t.Errorf("decoded %+v", b)
	}
	real := "name: real\ncard: {reader: ACS ACR39U}\necr: {port: /dev/ttyUSB0, baud: 50}\nhost:\n  address: testhost:5000\n"
	var rb Bench
	if err := yamldoc.Decode("real.yaml", []byte(real), &rb); err != nil {
		t.Errorf("a bench with real parts: %v", err)
	}
}

// TestRemoteLineParts: a remote ECR port has line faults only with the
// line fault proxy in it.
func TestRemoteLineParts(t *testing.T) {
	for _, c := range []struct {
		ecr  string
		line bool
	}{
		{"ecr:\n  port: rfc2217://127.0.0.1:3001\n", false},
		{"ecr:\n  port: rfc2217://127.0.0.1:3001\n  proxy: true\n", true},
		{"ecr:\n  port: tcp://127.0.0.1:3001\n  proxy: true\n", true},
	} {
		doc := strings.Replace(emulated(t), "ecr:\n  port: emulated       # a pty pair through poshil's line fault proxy\n", c.ecr, 1)
		b, err := decodeString(t, doc)
		if err != nil {
			t.Fatalf("%q: %v", c.ecr, err)
		}
		if !b.ECR.Remote() {
			t.Fatalf("%q: not remote", c.ecr)
		}
		if got := slices.Contains(b.Parts(), fault.PartLine); got != c.line {
			t.Errorf("%q: line part %v, want %v", c.ecr, got, c.line)
		}
	}
}

// decodeString decodes a bench from text.
func decodeString(t *testing.T, doc string) (*Bench, error) {
	t.Helper()
	var b Bench
	if err := yamldoc.Decode("b.yaml", []byte(doc), &b); err != nil {
		return nil, err
	}
	return &b, nil
}
