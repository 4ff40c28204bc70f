package scpi

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
)

// Errors callers can test with errors.Is.
var (
	// ErrInstrument is wrapped by every *InstrumentError: the supply
	// took the command and reported an error in its queue (SYST:ERR?).
	ErrInstrument = errors.New("scpi: instrument error")
	// ErrProtocol reports a reply that is not what SCPI says it should
	// be (not a number, no error code, too long).
	ErrProtocol = errors.New("scpi: bad reply")
)

// InstrumentError is one entry of the instrument's error queue, with the
// command it followed.
type InstrumentError struct {
	Code    int    // SCPI error code, negative for standard errors
	Msg     string // the instrument's text, e.g. "Data out of range"
	Command string // the command sent before SYST:ERR?
}

// Error names the command, the code and the instrument's text.
func (e *InstrumentError) Error() string {
	return fmt.Sprintf("%q: instrument error %d, %q", e.Command, e.Code, e.Msg)
}

// Unwrap makes an InstrumentError ErrInstrument, and the data-out-of-range
// family (-220..-229: out of range, illegal value) power.ErrRange too.
func (e *InstrumentError) Unwrap() []error {
	if e.Code <= -220 && e.Code >= -229 {
		return []error{ErrInstrument, power.ErrRange}
	}
	return []error{ErrInstrument}
}

// maxVolts bounds a number read back (1 kV): anything larger is a fault
// of the line or the SCPI "9.9E37" not-a-number marker.
const maxVolts = 1000

// parseVolts reads a numeric reply (NR1, NR2 or NR3: "4", "4.200",
// "+4.200000E+00") in volts.
func parseVolts(s string) (physic.ElectricPotential, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.ContainsAny(t, "xXpP_") { // no hex floats, no Go digit separators
		return 0, fmt.Errorf("%w: %q is not a number", ErrProtocol, s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %q is not a number", ErrProtocol, s)
	}
	if math.Abs(f) > maxVolts {
		return 0, fmt.Errorf("%w: %q is out of range (over %dV, or the instrument's not-a-number 9.9E37)", ErrProtocol, s, maxVolts)
	}
	return physic.ElectricPotential(math.Round(f * float64(physic.Volt))), nil
}

// parseError reads a SYST:ERR? reply: `<code>,"<text>"`, e.g.
// `-222,"Data out of range"` or `0,"No error"`. Some instruments add
// detail after a ';' inside the quotes; it is kept in the text.
func parseError(s string) (code int, msg string, err error) {
	t := strings.TrimSpace(s)
	c, rest, ok := strings.Cut(t, ",")
	if !ok {
		return 0, "", fmt.Errorf("%w: %q is not an error entry (want <code>,\"<text>\")", ErrProtocol, s)
	}
	code, err = strconv.Atoi(strings.TrimSpace(c))
	if err != nil || code < -32768 || code > 32767 {
		return 0, "", fmt.Errorf("%w: %q: bad error code", ErrProtocol, s)
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
		return 0, "", fmt.Errorf("%w: %q: error text not quoted", ErrProtocol, s)
	}
	return code, strings.ReplaceAll(rest[1:len(rest)-1], `""`, `"`), nil
}

// formatVolts writes v for a VOLT command in volts with millivolt
// resolution, e.g. "4.200"; v must not be negative.
func formatVolts(v physic.ElectricPotential) string {
	mv := (v + physic.MilliVolt/2) / physic.MilliVolt
	return fmt.Sprintf("%d.%03d", mv/1000, mv%1000)
}
