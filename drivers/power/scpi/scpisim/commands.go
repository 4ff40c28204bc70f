package scpisim

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/physic"
)

// mnemonics maps SCPI short forms onto long forms; a header part matches
// if it is either, in any case.
var mnemonics = map[string]string{
	"OUTP": "OUTPUT", "STAT": "STATE", "SOUR": "SOURCE", "VOLT": "VOLTAGE",
	"LEV": "LEVEL", "IMM": "IMMEDIATE", "AMPL": "AMPLITUDE", "MEAS": "MEASURE",
	"SCAL": "SCALAR", "DC": "DC", "SYST": "SYSTEM", "ERR": "ERROR", "NEXT": "NEXT",
}

// optional parts are dropped from a header before it is looked up.
var optional = map[string]bool{"STATE": true, "LEVEL": true, "IMMEDIATE": true, "AMPLITUDE": true, "SCALAR": true, "DC": true, "NEXT": true}

// canonical turns a header such as ":sour:volt:lev" into "VOLTAGE", or
// fails with -113.
func canonical(header string) (string, error) {
	if strings.HasPrefix(header, "*") {
		return strings.ToUpper(header), nil
	}
	parts := strings.Split(strings.TrimPrefix(header, ":"), ":")
	var out []string
	for i, p := range parts {
		u := strings.ToUpper(p)
		long, ok := mnemonics[u]
		if !ok {
			for _, l := range mnemonics {
				if l == u {
					long, ok = l, true
					break
				}
			}
		}
		if !ok {
			return "", fail(-113, "Undefined header")
		}
		if optional[long] || (i == 0 && long == "SOURCE" && len(parts) > 1) {
			continue
		}
		out = append(out, long)
	}
	return strings.Join(out, ":"), nil
}

// execute runs one command (in.mu held).
func (in *Instrument) execute(cmd string) (reply string, query bool, err error) {
	header, arg, _ := strings.Cut(cmd, " ")
	arg = strings.TrimSpace(arg)
	query = strings.HasSuffix(header, "?")
	key, err := canonical(strings.TrimSuffix(header, "?"))
	if err != nil {
		return "", query, err
	}
	if query {
		key += "?"
		if arg != "" {
			return "", true, fail(-108, "Parameter not allowed")
		}
	}
	needArg := key == "OUTPUT" || key == "VOLTAGE"
	switch {
	case needArg && arg == "":
		return "", false, fail(-109, "Missing parameter")
	case !needArg && !query && arg != "":
		return "", false, fail(-108, "Parameter not allowed")
	}
	switch key {
	case "*IDN?":
		return in.idn, true, nil
	case "*OPC?":
		return "1", true, nil
	case "*CLS":
		in.queue = nil
	case "*RST":
		in.output, in.voltage = false, in.nominal
	case "OUTPUT":
		switch strings.ToUpper(arg) {
		case "ON", "1":
			in.output = true
		case "OFF", "0":
			in.output = false
		default:
			return "", false, fail(-224, "Illegal parameter value")
		}
	case "OUTPUT?":
		if in.output {
			return "1", true, nil
		}
		return "0", true, nil
	case "VOLTAGE":
		v, err := in.volts(arg)
		if err != nil {
			return "", false, err
		}
		in.voltage = v
	case "VOLTAGE?":
		return fmt.Sprintf("%.3f", float64(in.voltage)/float64(physic.Volt)), true, nil
	case "MEASURE:VOLTAGE?":
		v := in.voltage
		if !in.output {
			v = 0
		}
		return fmt.Sprintf("%+.6E", float64(v)/float64(physic.Volt)), true, nil
	case "SYSTEM:ERROR?":
		if len(in.queue) == 0 {
			return `0,"No error"`, true, nil
		}
		e := in.queue[0]
		in.queue = in.queue[1:]
		return fmt.Sprintf("%d,\"%s\"", e.code, e.msg), true, nil
	default:
		return "", query, fail(-113, "Undefined header")
	}
	return "", query, nil
}

// volts reads a VOLT parameter: a number with an optional V or MV suffix,
// or MIN / MAX / DEF.
func (in *Instrument) volts(arg string) (physic.ElectricPotential, error) {
	u := strings.ToUpper(arg)
	switch u {
	case "MIN", "MINIMUM":
		return 0, nil
	case "MAX", "MAXIMUM":
		return in.max, nil
	case "DEF", "DEFAULT":
		return in.nominal, nil
	}
	scale := float64(physic.Volt)
	switch {
	case strings.HasSuffix(u, "MV"):
		u, scale = strings.TrimSuffix(u, "MV"), float64(physic.MilliVolt)
	case strings.HasSuffix(u, "V"):
		u = strings.TrimSuffix(u, "V")
	}
	if u == "" || strings.ContainsAny(u, "XP_") { // no hex floats or Go digit separators
		return 0, fail(-104, "Data type error")
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fail(-104, "Data type error")
	}
	v := f * scale
	if v < 0 || v > float64(in.max) {
		return 0, fail(-222, "Data out of range")
	}
	// Millivolt resolution, as the client sends.
	return physic.ElectricPotential(math.Round(v/float64(physic.MilliVolt))) * physic.MilliVolt, nil
}
