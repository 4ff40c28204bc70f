package bench

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/magstripe"
	"github.com/poshil/poshil/harness/dut"
	"github.com/poshil/poshil/harness/yamldoc"
)

// DefaultBootTimeout bounds the wait for READY when the bench names none.
const DefaultBootTimeout = 10 * time.Second

// MaxNominal is the highest supply voltage a bench may name: 60 V DC, the
// limit of safety extra-low voltage (SELV, IEC 62368-1 ES1). Payment
// terminals run from batteries or 5 to 24 V adapters; a higher nominal is
// a typo (mV for V) that would drive a real supply to a hazardous voltage.
const MaxNominal = 60 * physic.Volt

// MinBaud and MaxBaud bound a serial line's rate: the lowest and highest
// termios rates (B50, B4000000).
const (
	MinBaud = 50
	MaxBaud = 4_000_000
)

// checkBaud bounds a serial rate.
func checkBaud(baud int) error {
	if baud < MinBaud || baud > MaxBaud {
		return fmt.Errorf("%d: want %d to %d bits per second", baud, MinBaud, MaxBaud)
	}
	return nil
}

// checkAddress parses host:port; port 0 (any free port) only for a
// listen address.
func checkAddress(addr string, listen bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if strings.ContainsAny(host, " \t") {
		return fmt.Errorf("host %q holds a blank", host)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	switch {
	case err != nil:
		return fmt.Errorf("port %q: want a number 1 to 65535", port)
	case p == 0 && !listen:
		return fmt.Errorf("port 0: want the port it listens on")
	}
	return nil
}

// Check validates the bench as a whole; each problem is at its key's
// line:col (at the enclosing block when the key is missing).
func (b *Bench) Check(n *yaml.Node) error {
	var errs yamldoc.Errors
	// add reports at path, dotted keys from the bench's root.
	add := func(path, format string, args ...any) {
		errs = append(errs, yamldoc.At(yamldoc.FindOr(n, strings.Split(path, ".")...), format, args...).(*yamldoc.Error))
	}
	if b.Name == "" {
		add("name", "bench needs a name")
	}
	if strings.TrimSpace(b.Card.Reader) == "" {
		add("card.reader", "card.reader: name the PC/SC reader the DUT reads (e.g. \"Virtual PCD 00 00\")")
	}
	if b.Card.Emulator != "" {
		if err := checkAddress(b.Card.Emulator, false); err != nil {
			add("card.emulator", "card.emulator %q: want host:port of a vpcd slot: %v", b.Card.Emulator, err)
		}
	}
	if b.MSR != nil {
		if strings.TrimSpace(b.MSR.Port) == "" {
			add("msr.port", "msr.port: a device path, or \"emulated\" for a pseudo-terminal pair")
		}
		if b.MSR.Baud == 0 {
			b.MSR.Baud = 115200
		}
		if err := checkBaud(b.MSR.Baud); err != nil {
			add("msr.baud", "msr.baud: %v", err)
		}
	}
	if b.Printer != nil {
		if strings.TrimSpace(b.Printer.Port) == "" {
			add("printer.port", "printer.port: a device path, or \"emulated\" for poshil's ESC/POS printer on a pseudo-terminal pair")
		}
		if b.Printer.Baud == 0 {
			b.Printer.Baud = 115200
		}
		if err := checkBaud(b.Printer.Baud); err != nil {
			add("printer.baud", "printer.baud: %v", err)
		}
	}
	if b.Keypad != nil {
		if strings.TrimSpace(b.Keypad.Port) == "" {
			add("keypad.port", "keypad.port: a device path, or \"emulated\" for poshil's keypad controller on a pseudo-terminal pair")
		}
		if b.Keypad.Baud == 0 {
			b.Keypad.Baud = 115200
		}
		if err := checkBaud(b.Keypad.Baud); err != nil {
			add("keypad.baud", "keypad.baud: %v", err)
		}
		if b.Keypad.Format != "" {
			add("keypad.format", "keypad.format: a format is for the swipe reader (msr) only")
		}
	}
	if b.DUT.Adapter == "" {
		b.DUT.Adapter = "ecr"
	}
	if strings.TrimSpace(b.ECR.Port) == "" && b.DUT.Adapter != "process" {
		add("ecr.port", "ecr.port: a device path, or \"emulated\" for a pseudo-terminal pair")
	}
	if b.ECR.Baud == 0 {
		b.ECR.Baud = 115200
	}
	if err := checkBaud(b.ECR.Baud); err != nil {
		add("ecr.baud", "ecr.baud: %v", err)
	}
	for _, l := range []struct {
		key  string
		line *Line
	}{{"ecr", &b.ECR}, {"msr", b.MSR}} {
		if l.line == nil {
			continue
		}
		if err := checkRemotePort(l.line.Port); err != nil {
			add(l.key+".port", "%s.port %q: want rfc2217://host:port or tcp://host:port of a port server: %v", l.key, l.line.Port, err)
		}
	}
	if b.MSR != nil && !magstripe.Format(b.MSR.Format).Valid() {
		add("msr.format", "msr.format %q: want ascii or raw", b.MSR.Format)
	}
	if b.ECR.Format != "" {
		add("ecr.format", "ecr.format: a format is for the swipe reader (msr) only")
	}
	if b.Printer != nil && b.Printer.Format != "" {
		add("printer.format", "printer.format: a format is for the swipe reader (msr) only")
	}
	if b.MSR != nil && b.MSR.Proxy {
		add("msr.proxy", "msr.proxy: the line fault proxy is for the ECR line only")
	}
	switch {
	case b.Host.TLS != nil && b.Host.Emulated == nil:
		add("host.tls", "host.tls: only the emulated host serves poshil's test TLS; a real test host brings its own (give its CA to the DUT directly)")
	case b.Host.Emulated != nil && b.Host.Address != "":
		add("host", "host: set emulated or address, not both")
	case b.Host.Emulated == nil && b.Host.Address == "":
		// No host: a terminal that never goes online. Scenarios that need
		// one (host faults, expect.host) are INVALID on this bench.
		if b.Host.Proxy {
			add("host.proxy", "host.proxy: the fault proxy stands between the DUT and a host: set host.emulated or host.address")
		}
	case b.Host.Emulated != nil:
		if b.Host.Emulated.Listen == "" {
			b.Host.Emulated.Listen = "127.0.0.1:0"
		}
		if err := checkAddress(b.Host.Emulated.Listen, true); err != nil {
			add("host.emulated.listen", "host.emulated.listen %q: want host:port to listen on: %v", b.Host.Emulated.Listen, err)
		}
		if b.Host.Emulated.Default == "" {
			b.Host.Emulated.Default = "00"
		}
		if _, err := acquirer.NewServer(acquirer.Config{Default: b.Host.Emulated.Default, Rules: b.Host.Emulated.Rules,
			Terminals: b.Host.Emulated.Terminals, MAC: b.Host.Emulated.MAC}); err != nil {
			add("host.emulated", "host.emulated: %v", err)
		}
	default:
		if err := checkAddress(b.Host.Address, false); err != nil {
			add("host.address", "host.address %q: want host:port of the test host: %v", b.Host.Address, err)
		}
	}
	b.checkDNS(add)
	b.checkPower(n, add)
	switch b.DUT.Adapter {
	case "ecr":
		if b.DUT.Profile != "" {
			add("dut.profile", "dut.profile: the ecr adapter speaks the framed ECR protocol natively; a profile is for console and process")
		}
	case "console", "process":
		if b.DUT.Profile == "" {
			add("dut.profile", "dut.profile: adapter %s needs a firmware profile (a shipped name or a file)", b.DUT.Adapter)
		} else if strings.Contains(b.DUT.Profile, BenchDir) {
			if pn := yamldoc.Find(n, "dut", "profile"); pn != nil {
				b.DUT.ProfileAt = yamldoc.Pos{Line: pn.Line, Col: pn.Column}
			}
			// Loaded once the bench file is known (Load).
		} else if p, err := dut.LoadProfile(b.DUT.Profile); err != nil {
			add("dut.profile", "dut.profile: %v", err)
		} else {
			b.DUT.Prof = p
		}
		if b.DUT.Adapter == "process" && b.DUT.Process == nil {
			add("dut.adapter", "dut.adapter process needs dut.process.command")
		}
	default:
		add("dut.adapter", "dut.adapter %q: want ecr, console or process", b.DUT.Adapter)
	}
	if yamldoc.Find(n, "dut", "boot_timeout") != nil && b.DUT.BootTimeout <= 0 {
		add("dut.boot_timeout", "dut.boot_timeout %v: want a duration above zero (leave it out for the default %v)", b.DUT.BootTimeout, DefaultBootTimeout)
	}
	if b.DUT.BootTimeout <= 0 {
		b.DUT.BootTimeout = DefaultBootTimeout
	}
	if p := b.DUT.Process; p != nil {
		if len(p.Command) == 0 || strings.TrimSpace(p.Command[0]) == "" {
			add("dut.process.command", "dut.process.command: give the program and its arguments")
		}
		prog := yamldoc.FindOr(n, "dut", "process", "command")
		if item := yamldoc.Item(prog, 0); item != nil {
			prog = item
		}
		if prog != nil {
			p.ProgramAt = yamldoc.Pos{Line: prog.Line, Col: prog.Column}
		}
		hasHost := b.Host.Emulated != nil || b.Host.Address != ""
		hasTLS := b.Host.TLS != nil
		if !hasTLS && usesHostCA(map[string]any(p.Config)) {
			add("dut.process.config", "dut.process.config: {host_ca}: the bench's host does not serve TLS (set host.tls)")
		}
		for i, a := range p.Command {
			if err := checkPlaceholders(a, hasHost, hasTLS); err != nil {
				node := yamldoc.FindOr(n, "dut", "process", "command")
				if item := yamldoc.Item(node, i); item != nil {
					node = item
				}
				errs = append(errs, yamldoc.At(node, "dut.process.command: %v", err).(*yamldoc.Error))
			}
		}
		switch p.Clock {
		case "", "libfaketime", "env":
		default:
			add("dut.process.clock", "dut.process.clock %q: want libfaketime (a dynamically linked program) or env (it reads POSHIL_FAKETIME itself)", p.Clock)
		}
		for k, v := range p.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				add("dut.process.env", "dut.process.env %q: a variable name cannot be empty or hold = or NUL", k)
			}
			if err := checkPlaceholders(v, hasHost, hasTLS); err != nil {
				add("dut.process.env", "dut.process.env %s: %v", k, err)
			}
		}
	} else if b.ECR.Emulated() {
		add("ecr.port", "ecr.port is emulated, so dut.process must start the DUT that opens its other end")
	}
	if b.DUT.Adapter == "process" && b.ECR.Port != "" {
		add("ecr.port", "ecr.port: the process adapter talks to the DUT on its stdin and stdout; leave ecr out")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// checkPower validates power: the supply named, its nominal voltage, the
// fields its kind needs (a relay's pin, a SCPI supply's port) and none of
// another kind's.
func (b *Bench) checkPower(n *yaml.Node, add func(path, format string, args ...any)) {
	p := b.Power
	if p == nil {
		return
	}
	if v := physic.ElectricPotential(p.Nominal); v <= 0 || v > MaxNominal {
		add("power.nominal", "power.nominal %v: want a supply voltage above 0 V and at most %v (safety extra-low voltage; no payment terminal takes more)", p.Nominal, power.Voltage(MaxNominal))
	}
	given := func(key string) bool { return yamldoc.Find(n, "power", key) != nil }
	// only reports the fields given that belong to other kinds of supply.
	only := func(keys ...string) {
		for _, k := range keys {
			if given(k) {
				add("power."+k, "power.%s: not for supply %s (%s)", k, p.Supply, powerFieldOwner[k])
			}
		}
	}
	switch p.Supply {
	case SupplyEmulated:
		only("pin", "active_low", "port", "baud", "limit", "timeout")
	case SupplyRelay:
		only("port", "baud", "limit", "timeout")
		switch {
		case strings.TrimSpace(p.Pin) == "":
			add("power.pin", "power.pin: a relay needs the GPIO that drives it, as periph.io's host drivers name it (e.g. GPIO17)")
		case strings.ContainsAny(p.Pin, " \t/"):
			add("power.pin", "power.pin %q: want a GPIO name such as GPIO17, not a path", p.Pin)
		}
	case SupplySCPI:
		only("pin", "active_low")
		b.checkSCPI(given, add)
	default:
		add("power.supply", "power.supply %q: want emulated, relay (a GPIO pin) or scpi (a serial line)", p.Supply)
	}
}

// checkRemotePort checks the host:port of a serial port exported by a
// port server (rfc2217:// or tcp://); a local device passes.
func checkRemotePort(port string) error {
	if !(Line{Port: port}).Remote() {
		return nil
	}
	_, hp, _ := strings.Cut(port, "://")
	if err := checkAddress(hp, false); err != nil {
		return err
	}
	if strings.ContainsAny(hp, "/?#") {
		return fmt.Errorf("nothing may follow host:port")
	}
	return nil
}

// powerFieldOwner names the supply each kind-specific power field is for.
var powerFieldOwner = map[string]string{
	"pin": "relay only", "active_low": "relay only",
	"port": "scpi only", "baud": "scpi only", "limit": "scpi only", "timeout": "scpi only",
}

// checkSCPI validates a SCPI supply's line, limit and timeout.
func (b *Bench) checkSCPI(given func(string) bool, add func(path, format string, args ...any)) {
	p := b.Power
	switch port := strings.TrimSpace(p.Port); {
	case port == "":
		add("power.port", "power.port: a SCPI supply needs its serial line: a device path, or rfc2217://host:port or tcp://host:port of a port server")
	case port == "emulated":
		add("power.port", "power.port: emulated: a SCPI supply is a real instrument; use supply: emulated for the emulated one")
	default:
		if err := checkRemotePort(p.Port); err != nil {
			add("power.port", "power.port %q: want rfc2217://host:port or tcp://host:port of a port server: %v", p.Port, err)
		}
	}
	if p.Baud == 0 {
		p.Baud = 115200
	}
	if err := checkBaud(p.Baud); err != nil {
		add("power.baud", "power.baud: %v", err)
	}
	if given("limit") {
		switch l := physic.ElectricPotential(p.Limit); {
		case l <= 0 || l > MaxNominal:
			add("power.limit", "power.limit %v: want a voltage above 0 V and at most %v (leave it out for none)", p.Limit, power.Voltage(MaxNominal))
		case p.Nominal > 0 && p.Limit < p.Nominal:
			add("power.limit", "power.limit %v is below power.nominal %v: the safe state could not restore the nominal voltage", p.Limit, p.Nominal)
		}
	}
	if given("timeout") && p.Timeout <= 0 {
		add("power.timeout", "power.timeout %v: want a duration above zero (leave it out for the default %v)", p.Timeout, DefaultSCPITimeout)
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultSCPITimeout
	}
}

// checkPlaceholders finds unknown placeholders in s, {host_ca} on a bench
// whose host does not serve TLS, and {host} on a bench
// without a host.
func checkPlaceholders(s string, hasHost, hasTLS bool) error {
	rest := s
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil
		}
		ph := rest[i : i+j+1]
		known := false
		for _, p := range Placeholders {
			known = known || p == ph
		}
		if !known {
			return fmt.Errorf("unknown placeholder %s (known: %s)", ph, strings.Join(Placeholders, " "))
		}
		if ph == HostCA && !hasTLS {
			return fmt.Errorf("{host_ca}: the bench's host does not serve TLS (set host.tls)")
		}
		if ph == "{host}" && !hasHost {
			return fmt.Errorf("{host}: the bench has no host (set host.emulated or host.address, or leave {host} out)")
		}
		rest = rest[i+j+1:]
	}
}
