package bench

import (
	"time"

	"github.com/poshil/poshil/drivers/power"
)

// Supplies a bench's power part may be.
const (
	// SupplyEmulated is the emulated bench's supply, read by the DUT
	// process through its state file as an ADC.
	SupplyEmulated = "emulated"
	// SupplyRelay is a relay in the DUT's supply line, switched by a
	// GPIO pin through periph.io's host drivers: on and off only.
	SupplyRelay = "relay"
	// SupplySCPI is a programmable bench supply spoken to in SCPI over a
	// serial line (a device, rfc2217:// or tcp://): on, off and a voltage.
	SupplySCPI = "scpi"
)

// DefaultSCPITimeout bounds one exchange with a SCPI supply when the bench
// names no timeout.
const DefaultSCPITimeout = 2 * time.Second

// Power is the DUT's supply: the emulated one, a relay on a GPIO pin, or
// a SCPI supply on a serial line. Fields that do not apply to the supply
// named are INVALID.
type Power struct {
	// Supply is "emulated", "relay" or "scpi".
	Supply string `yaml:"supply"`
	// Nominal is the supply's normal voltage, e.g. "4.2V": the voltage of
	// the safe state (and, on a relay, the rail it switches).
	Nominal power.Voltage `yaml:"nominal"`

	// Pin is the relay's GPIO as periph.io's host drivers name it, e.g.
	// GPIO17 (relay only).
	Pin string `yaml:"pin"`
	// ActiveLow drives the pin low to close the relay (power on), as
	// many opto-isolated relay boards want (relay only).
	ActiveLow bool `yaml:"active_low"`

	// Port is the SCPI supply's serial line: a device path, or
	// rfc2217://host:port or tcp://host:port of a port server (scpi
	// only).
	Port string `yaml:"port"`
	// Baud is the line's rate (scpi only; default 115200; a tcp:// port
	// keeps the server's).
	Baud int `yaml:"baud"`
	// Limit refuses any voltage above it before it reaches the supply,
	// a guard for the DUT; at least Nominal (scpi only; default none
	// beyond the instrument's own range).
	Limit power.Voltage `yaml:"limit"`
	// Timeout bounds one exchange with the supply (scpi only; default
	// 2s).
	Timeout time.Duration `yaml:"timeout"`
}

// Variable reports whether the supply can set a voltage (sag and brownout
// need one): a relay only switches.
func (p *Power) Variable() bool { return p != nil && p.Supply != SupplyRelay }
