package emulated

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/physic"
)

// The state file is how the emulated supply reaches a DUT in another
// process. It is one line of ASCII, at most MaxStateSize bytes:
//
//	poshil-supply v1 output=on millivolts=4200 seq=7\n
//
// Fields, in this order, separated by one space:
//   - "poshil-supply": the magic word;
//   - "v1": the format version (a reader rejects any other);
//   - output=on|off: the output switch;
//   - millivolts=N: the set point, 0..1000000; the DUT rail is this when
//     output=on and 0 when output=off;
//   - seq=N: a counter (uint64, decimal) bumped by every change, so a
//     reader can tell that something changed even if it looks the same.
//
// Numbers are decimal digits without sign or leading zeros.
//
// The writer replaces the file atomically (write a temporary file in the
// same directory, then rename it over the old one), so a reader sees
// either the old line or the new one, never a torn one; it does not fsync
// (the emulated bench does not survive the host losing power). Readers
// open, read and close the file on every sample: there is no lock and no
// shared memory, and a reader that holds the file open keeps seeing the
// old state.

// MaxStateSize bounds a state file; longer is an error.
const MaxStateSize = 128

// MaxMillivolts bounds the set point a state file may hold (1 kV).
const MaxMillivolts = 1_000_000

const stateMagic, stateVersion = "poshil-supply", "v1"

// ErrState reports a state file that is missing, unreadable or not in the
// format above.
var ErrState = errors.New("emulated supply: bad state file")

// State is the emulated supply as the state file holds it.
type State struct {
	// Output is the output switch.
	Output bool
	// Voltage is the set point, with millivolt resolution.
	Voltage physic.ElectricPotential
	// Seq counts changes.
	Seq uint64
}

// Rail is the voltage the DUT sees: the set point with the output on,
// 0V with it off.
func (s State) Rail() physic.ElectricPotential {
	if !s.Output {
		return 0
	}
	return s.Voltage
}

// String is the state file's line without its newline.
func (s State) String() string {
	out := "off"
	if s.Output {
		out = "on"
	}
	return fmt.Sprintf("%s %s output=%s millivolts=%d seq=%d", stateMagic, stateVersion, out, s.Voltage/physic.MilliVolt, s.Seq)
}

// MarshalText is the state file's content.
func (s State) MarshalText() ([]byte, error) {
	mv := s.Voltage / physic.MilliVolt
	if s.Voltage < 0 || mv > MaxMillivolts || s.Voltage%physic.MilliVolt != 0 {
		return nil, fmt.Errorf("%w: voltage %v is not 0..%dmV in whole millivolts", ErrState, s.Voltage, MaxMillivolts)
	}
	return []byte(s.String() + "\n"), nil
}

// ParseState parses a state file's content strictly.
func ParseState(b []byte) (State, error) {
	bad := func(format string, args ...any) (State, error) {
		return State{}, fmt.Errorf("%w: %s", ErrState, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxStateSize {
		return bad("%d bytes, more than %d", len(b), MaxStateSize)
	}
	line, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return bad("no newline at the end (torn write?)")
	}
	f := strings.Split(line, " ")
	if len(f) != 5 || f[0] != stateMagic {
		return bad("want %q, got %q", stateMagic+" v1 output=on|off millivolts=N seq=N", line)
	}
	if f[1] != stateVersion {
		return bad("version %q, this reader knows %s", f[1], stateVersion)
	}
	var st State
	switch f[2] {
	case "output=on":
		st.Output = true
	case "output=off":
	default:
		return bad("want output=on or output=off, got %q", f[2])
	}
	mv, err := field(f[3], "millivolts=")
	if err != nil || mv > MaxMillivolts {
		return bad("want millivolts=0..%d, got %q", MaxMillivolts, f[3])
	}
	st.Voltage = physic.ElectricPotential(mv) * physic.MilliVolt
	if st.Seq, err = field(f[4], "seq="); err != nil {
		return bad("want seq=N, got %q", f[4])
	}
	return st, nil
}

// field parses "name=digits" as a uint64; no sign, no spaces, no leading
// zeros (one spelling per value).
func field(s, name string) (uint64, error) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || strings.Trim(v, "0123456789") != "" || len(v) > 1 && v[0] == '0' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(v, 10, 64)
}

// ReadState reads and parses the state file at path; errors wrap ErrState
// and name the file.
func ReadState(path string) (State, error) {
	f, err := os.Open(path)
	if err != nil {
		return State{}, fmt.Errorf("%w: %w", ErrState, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxStateSize+1))
	if err != nil {
		return State{}, fmt.Errorf("%w: %s: %w", ErrState, path, err)
	}
	st, err := ParseState(b)
	if err != nil {
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// WriteState replaces the state file at path atomically (temporary file
// in the same directory, then rename). The file is readable by all (0644):
// the DUT may run as another user.
func WriteState(path string, st State) error {
	b, err := st.MarshalText()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("%s: write state: %w", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: write state: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: write state: %w", path, err)
	}
	return nil
}
