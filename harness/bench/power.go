package bench

import (
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
)

// Supply kinds a bench file may name.
const (
	SupplyEmulated = "emulated"
	SupplyRelay    = "relay"
	SupplySCPI     = "scpi"
)

// check validates the supply's kind and its section; add reports at a
// dotted key.
func (p *Power) check(add func(path, format string, args ...any)) {
	switch p.Supply {
	case SupplyEmulated:
	case SupplyRelay:
		if p.Relay == nil || strings.TrimSpace(p.Relay.Pin) == "" {
			add("power.relay.pin", "power.relay.pin: name the GPIO pin that drives the relay (periph.io name, e.g. GPIO17)")
		}
	case SupplySCPI:
		if p.SCPI == nil || strings.TrimSpace(p.SCPI.Port) == "" {
			add("power.scpi.port", "power.scpi.port: a device path, or rfc2217://host:port or tcp://host:port of the supply's line")
			break
		}
		if p.SCPI.remote() {
			_, hp, _ := strings.Cut(p.SCPI.Port, "://")
			if err := checkAddress(hp, false); err != nil || strings.ContainsAny(hp, "/?#") {
				add("power.scpi.port", "power.scpi.port %q: want rfc2217://host:port or tcp://host:port", p.SCPI.Port)
			}
		}
		if p.SCPI.Baud == 0 {
			p.SCPI.Baud = 9600
		}
		if err := checkBaud(p.SCPI.Baud); err != nil {
			add("power.scpi.baud", "power.scpi.baud: %v", err)
		}
		if p.SCPI.Limit == 0 {
			p.SCPI.Limit = power.Voltage(physic.ElectricPotential(p.Nominal) * 11 / 10)
		}
		if l := physic.ElectricPotential(p.SCPI.Limit); l < physic.ElectricPotential(p.Nominal) || l > MaxNominal {
			add("power.scpi.limit", "power.scpi.limit %v: want at least power.nominal (%v) and at most %v", p.SCPI.Limit, p.Nominal, power.Voltage(MaxNominal))
		}
		if p.SCPI.Timeout == 0 {
			p.SCPI.Timeout = 2 * time.Second
		}
		if p.SCPI.Timeout < 0 || p.SCPI.Timeout > time.Minute {
			add("power.scpi.timeout", "power.scpi.timeout %v: want a duration above 0 and at most 1m", p.SCPI.Timeout)
		}
	default:
		add("power.supply", "power.supply %q: want emulated, relay or scpi", p.Supply)
		return
	}
	if p.Supply != SupplyRelay && p.Relay != nil {
		add("power.relay", "power.relay: only for supply: relay (this supply is %s)", p.Supply)
	}
	if p.Supply != SupplySCPI && p.SCPI != nil {
		add("power.scpi", "power.scpi: only for supply: scpi (this supply is %s)", p.Supply)
	}
}

// remote reports whether the supply's line is a port server's.
func (s *SCPISupply) remote() bool {
	return Line{Port: s.Port}.Remote()
}
