package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// shippedPower is the shipped bench's power block, replaced by each case.
const shippedPower = "power:\n  supply: emulated     # the DUT reads it through its state file as an ADC (periph.io)\n  nominal: 4.2V\n"

// withPower is the shipped bench with block as its power.
func withPower(t *testing.T, block string) string {
	t.Helper()
	doc := emulated(t)
	if !strings.Contains(doc, shippedPower) {
		t.Fatalf("the shipped bench has no %q", shippedPower)
	}
	return strings.Replace(doc, shippedPower, block, 1)
}

// TestPowerErrorsAtTheirKey: a power part that can never work (a relay
// without its pin, a SCPI supply without its line, a limit below the
// nominal voltage, a field of another kind of supply, an unknown supply)
// is INVALID at its value's line:col, or at power's first key when the key
// is missing; at marks the place in the block.
func TestPowerErrorsAtTheirKey(t *testing.T) {
	tests := []struct{ name, block, at, want string }{
		{"unknown supply", "power:\n  supply: psu\n  nominal: 5V\n", "psu", `power.supply "psu": want emulated, relay`},
		{"relay without pin", "power:\n  supply: relay\n  nominal: 12V\n", "supply: relay", "power.pin: a relay needs the GPIO"},
		{"relay pin as a path", "power:\n  supply: relay\n  pin: /sys/class/gpio/gpio17\n  nominal: 12V\n", "/sys", `power.pin "/sys/class/gpio/gpio17": want a GPIO name`},
		{"relay with a port", "power:\n  supply: relay\n  pin: GPIO17\n  port: /dev/ttyUSB0\n  nominal: 12V\n", "/dev", "power.port: not for supply relay (scpi only)"},
		{"relay with a limit", "power:\n  supply: relay\n  pin: GPIO17\n  nominal: 12V\n  limit: 13V\n", "13V", "power.limit: not for supply relay (scpi only)"},
		{"scpi without port", "power:\n  supply: scpi\n  nominal: 5V\n", "supply: scpi", "power.port: a SCPI supply needs its serial line"},
		{"scpi on an emulated port", "power:\n  supply: scpi\n  port: emulated\n  nominal: 5V\n", "emulated\n", "power.port: emulated: a SCPI supply is a real instrument"},
		{"scpi remote without port number", "power:\n  supply: scpi\n  port: rfc2217://ser2net.lab\n  nominal: 5V\n", "rfc2217", `power.port "rfc2217://ser2net.lab": want rfc2217://host:port`},
		{"scpi remote with a path", "power:\n  supply: scpi\n  port: tcp://10.0.0.9:3001/x\n  nominal: 5V\n", "tcp", `power.port "tcp://10.0.0.9:3001/x"`},
		{"scpi baud", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n  baud: 10\n  nominal: 5V\n", "10\n", "power.baud: 10: want 50 to 4000000"},
		{"scpi limit below nominal", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n  nominal: 5V\n  limit: 4.5V\n", "4.5V", "power.limit 4.5V is below power.nominal 5V"},
		{"scpi zero limit", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n  nominal: 5V\n  limit: 0V\n", "0V", "power.limit 0V: want a voltage above 0 V"},
		{"scpi limit of 100 V", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n  nominal: 5V\n  limit: 100V\n", "100V", "power.limit 100V"},
		{"scpi zero timeout", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n  nominal: 5V\n  timeout: 0s\n", "0s", "power.timeout 0s: want a duration above zero"},
		{"scpi with a pin", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n  pin: GPIO17\n  nominal: 5V\n", "GPIO17", "power.pin: not for supply scpi (relay only)"},
		{"scpi active_low", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n  active_low: true\n  nominal: 5V\n", "true", "power.active_low: not for supply scpi (relay only)"},
		{"emulated with a port", "power:\n  supply: emulated\n  port: /dev/ttyUSB0\n  nominal: 4.2V\n", "/dev", "power.port: not for supply emulated (scpi only)"},
		{"scpi nominal missing", "power:\n  supply: scpi\n  port: /dev/ttyUSB0\n", "supply: scpi", "power.nominal 0V: want a supply voltage above 0 V"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := withPower(t, tt.block)
			i := strings.Index(doc, tt.block) + strings.Index(tt.block, tt.at)
			line := 1 + strings.Count(doc[:i], "\n")
			col := i - strings.LastIndex(doc[:i], "\n")
			want := fmt.Sprintf("b.yaml:%d:%d: %s", line, col, tt.want)
			_, err := decodeString(t, doc)
			if !errors.Is(err, yamldoc.ErrInvalid) {
				t.Fatalf("got %v, want INVALID", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got\n%v\nwant\n%s...", err, want)
			}
		})
	}
}

// TestPowerParts: a relay and a SCPI supply decode with their defaults; a
// relay switches but has no variable voltage (sag and brownout need one).
func TestPowerParts(t *testing.T) {
	b, err := decodeString(t, withPower(t, "power:\n  supply: relay\n  pin: GPIO17\n  active_low: true\n  nominal: 12V\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := b.Power; p.Pin != "GPIO17" || !p.ActiveLow || p.Nominal.Potential() != 12*physic.Volt || p.Variable() {
		t.Errorf("relay decoded as %+v (variable %v)", p, p.Variable())
	}
	if ps := b.Parts(); !slices.Contains(ps, fault.PartSupply) || slices.Contains(ps, fault.PartVoltage) {
		t.Errorf("relay bench parts %v: want %s without %s", ps, fault.PartSupply, fault.PartVoltage)
	}
	for _, port := range []string{"/dev/ttyUSB0", "rfc2217://127.0.0.1:3001", "tcp://psu.lab:4001"} {
		b, err := decodeString(t, withPower(t, "power:\n  supply: scpi\n  port: "+port+"\n  nominal: 5V\n  limit: 5V\n"))
		if err != nil {
			t.Fatalf("%s: %v", port, err)
		}
		if p := b.Power; p.Port != port || p.Baud != 115200 || p.Timeout != DefaultSCPITimeout || p.Limit != p.Nominal || !p.Variable() {
			t.Errorf("scpi on %s decoded as %+v", port, p)
		}
		if ps := b.Parts(); !slices.Contains(ps, fault.PartSupply) || !slices.Contains(ps, fault.PartVoltage) {
			t.Errorf("scpi bench parts %v: want %s and %s", ps, fault.PartSupply, fault.PartVoltage)
		}
	}
	b, err = decodeString(t, withPower(t, "power:\n  supply: scpi\n  port: /dev/ttyACM0\n  baud: 9600\n  nominal: 5V\n  timeout: 500ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := b.Power; p.Baud != 9600 || p.Timeout != 500*time.Millisecond || p.Limit != 0 {
		t.Errorf("scpi decoded as %+v", p)
	}
}
