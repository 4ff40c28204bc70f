package serial

import (
	"fmt"
	"strconv"
	"strings"

	bugserial "go.bug.st/serial"
)

// Options are the line settings of a real port. Zero fields take the
// defaults: 115200 baud, 8 data bits, no parity, 1 stop bit (115200 8N1).
type Options struct {
	Baud     int    // bits per second; 0 means 115200
	DataBits int    // 5..8; 0 means 8
	Parity   string // "none"/"N", "odd"/"O", "even"/"E", "mark"/"M", "space"/"S"; "" means none
	StopBits int    // 1 or 2; 0 means 1
}

// DefaultOptions is 115200 8N1.
var DefaultOptions = Options{Baud: 115200, DataBits: 8, Parity: "none", StopBits: 1}

// ParseOptions reads the usual short form, e.g. "115200 8N1", "9600,7E1" or
// just "19200" (8N1 implied), as found in bench files.
func ParseOptions(s string) (Options, error) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '/' })
	if len(f) == 0 || len(f) > 2 {
		return Options{}, fmt.Errorf("%w: %q: want e.g. \"115200 8N1\"", ErrOptions, s)
	}
	baud, err := strconv.Atoi(f[0])
	if err != nil || baud <= 0 {
		return Options{}, fmt.Errorf("%w: %q: bad baud rate %q", ErrOptions, s, f[0])
	}
	o := Options{Baud: baud}
	if len(f) == 2 {
		fr := strings.ToUpper(f[1])
		if len(fr) != 3 || fr[0] < '5' || fr[0] > '8' || (fr[2] != '1' && fr[2] != '2') {
			return Options{}, fmt.Errorf("%w: %q: bad frame format %q", ErrOptions, s, f[1])
		}
		o.DataBits = int(fr[0] - '0')
		o.Parity = fr[1:2]
		o.StopBits = int(fr[2] - '0')
	}
	o = o.withDefaults()
	if _, err := o.mode(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// String renders o in the short form, e.g. "115200 8N1".
func (o Options) String() string {
	o = o.withDefaults()
	p := "?"
	if pa, err := parity(o.Parity); err == nil {
		p = string("NOEMS"[pa])
	}
	return fmt.Sprintf("%d %d%s%d", o.Baud, o.DataBits, p, o.StopBits)
}

func (o Options) withDefaults() Options {
	if o.Baud == 0 {
		o.Baud = DefaultOptions.Baud
	}
	if o.DataBits == 0 {
		o.DataBits = DefaultOptions.DataBits
	}
	if o.Parity == "" {
		o.Parity = DefaultOptions.Parity
	}
	if o.StopBits == 0 {
		o.StopBits = DefaultOptions.StopBits
	}
	return o
}

// mode converts o (defaults applied) to go.bug.st/serial's Mode. The modem
// output bits are left alone (InitialStatusBits nil): on a pty they fail.
func (o Options) mode() (*bugserial.Mode, error) {
	o = o.withDefaults()
	if o.Baud < 0 {
		return nil, fmt.Errorf("%w: baud %d", ErrOptions, o.Baud)
	}
	if o.DataBits < 5 || o.DataBits > 8 {
		return nil, fmt.Errorf("%w: data bits %d (want 5..8)", ErrOptions, o.DataBits)
	}
	p, err := parity(o.Parity)
	if err != nil {
		return nil, err
	}
	var sb bugserial.StopBits
	switch o.StopBits {
	case 1:
		sb = bugserial.OneStopBit
	case 2:
		sb = bugserial.TwoStopBits
	default:
		return nil, fmt.Errorf("%w: stop bits %d (want 1 or 2)", ErrOptions, o.StopBits)
	}
	return &bugserial.Mode{BaudRate: o.Baud, DataBits: o.DataBits, Parity: p, StopBits: sb}, nil
}

func parity(s string) (bugserial.Parity, error) {
	switch strings.ToLower(s) {
	case "none", "n":
		return bugserial.NoParity, nil
	case "odd", "o":
		return bugserial.OddParity, nil
	case "even", "e":
		return bugserial.EvenParity, nil
	case "mark", "m":
		return bugserial.MarkParity, nil
	case "space", "s":
		return bugserial.SpaceParity, nil
	}
	return 0, fmt.Errorf("%w: parity %q", ErrOptions, s)
}
