// Package faketime is the wrong clock poshil gives a DUT process: the
// subset of libfaketime's FAKETIME settings it supports, parsed and
// applied, and the environment that carries one to a program.
//
// Debian's libfaketime (package faketime) changes the clock of a
// dynamically linked program through LD_PRELOAD and the FAKETIME
// variable. It cannot reach a program that does not ask libc for the time
// (a Go binary, a static one): such a program reads Var, which holds the
// same value, and applies it itself with Parse and Clock.Now (the
// reference terminal does).
//
// It does not set any clock of the host.
package faketime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Var is the variable that tells a DUT its clock: the same value as
// libfaketime's FAKETIME, for programs libfaketime cannot reach.
const Var = "POSHIL_FAKETIME"

// LibVar names a libfaketime shared object to preload instead of the one
// found in the usual places (a lab that built its own).
const LibVar = "POSHIL_LIBFAKETIME"

// ErrSyntax is a FAKETIME value poshil does not support.
var ErrSyntax = errors.New("faketime: want @YYYY-MM-DD hh:mm:ss (the clock starts at that time and runs) or an offset [+-]N[smhdy] (e.g. -400d, +30y)")

// Clock is one wrong clock: a start time the clock runs from, or an
// offset from the real time.
type Clock struct {
	// Start is the time the clock shows when the program starts (the
	// "@" form); zero for an offset.
	Start time.Time
	// Offset is added to the real time (the "+N"/"-N" form).
	Offset time.Duration
	text   string
}

var (
	absRE    = regexp.MustCompile(`^@(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$`)
	offsetRE = regexp.MustCompile(`^([+-])(\d+(?:\.\d+)?)([smhdy]?)$`)
)

// units are libfaketime's offset suffixes (a year is 365 days, as there).
var units = map[string]float64{"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}

// maxOffset bounds an offset: beyond it time.Duration overflows.
const maxOffset = 200 * 365 * 24 * time.Hour

// Parse reads a FAKETIME value of the forms poshil supports:
//
//	@2023-06-15 12:00:00   the clock starts at that time (the program's
//	                       local time zone) and runs from there
//	-400d, +30y, +2.5h     the real time moved by an offset (s, m, h, d, y;
//	                       no suffix: seconds; a year is 365 days)
//
// libfaketime's other forms (a frozen time without "@", speed and
// interval modifiers, "i", "x") are ErrSyntax: a value poshil could not
// apply to a Go DUT the same way is refused, never half applied.
func Parse(s string) (Clock, error) {
	if m := absRE.FindStringSubmatch(s); m != nil {
		t, err := time.ParseInLocation("2006-01-02 15:04:05", s[1:], time.Local)
		if err != nil {
			return Clock{}, fmt.Errorf("%w: %q: %v", ErrSyntax, s, err)
		}
		return Clock{Start: t, text: s}, nil
	}
	if m := offsetRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return Clock{}, fmt.Errorf("%w: %q", ErrSyntax, s)
		}
		secs := n * units[m[3]]
		d := time.Duration(secs * float64(time.Second))
		if secs*float64(time.Second) >= float64(maxOffset) {
			return Clock{}, fmt.Errorf("%w: %q: at most 200 years", ErrSyntax, s)
		}
		if m[1] == "-" {
			d = -d
		}
		return Clock{Offset: d, text: s}, nil
	}
	return Clock{}, fmt.Errorf("%w: got %q", ErrSyntax, s)
}

// String is the FAKETIME value the clock was parsed from.
func (c Clock) String() string { return c.text }

// Now is the clock's time for a program started at start, when the real
// time is now.
func (c Clock) Now(start, now time.Time) time.Time {
	if !c.Start.IsZero() {
		return c.Start.Add(now.Sub(start))
	}
	return now.Add(c.Offset)
}

// FromEnv reads the clock a program was given: Var, else FAKETIME (a
// program started under libfaketime by hand). ok is false when neither
// is set.
func FromEnv(getenv func(string) string) (c Clock, ok bool, err error) {
	v := getenv(Var)
	if v == "" {
		v = getenv("FAKETIME")
	}
	if v == "" {
		return Clock{}, false, nil
	}
	c, err = Parse(v)
	return c, err == nil, err
}

// libraryPaths are where Debian and a local build put libfaketime.
var libraryPaths = []string{
	"/usr/lib/*/faketime/libfaketime.so.1",
	"/usr/lib/faketime/libfaketime.so.1",
	"/usr/local/lib/faketime/libfaketime.so.1",
}

// Library finds libfaketime: $POSHIL_LIBFAKETIME if it names a file, else
// the first of the usual places; "" when it is not installed.
func Library(getenv func(string) string) string {
	if p := getenv(LibVar); p != "" {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
		return ""
	}
	for _, pat := range libraryPaths {
		if m, _ := filepath.Glob(pat); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// Env is the environment that gives a program the clock value: FAKETIME
// and Var, libfaketime preloaded (lib; none when "") with the monotonic
// clock left alone (timeouts keep their length), and LD_PRELOAD's earlier
// value (preload) kept after it.
func Env(value, lib, preload string) []string {
	env := []string{"FAKETIME=" + value, Var + "=" + value, "FAKETIME_DONT_FAKE_MONOTONIC=1"}
	if lib != "" {
		p := lib
		if preload = strings.TrimSpace(preload); preload != "" {
			p += " " + preload
		}
		env = append(env, "LD_PRELOAD="+p)
	}
	return env
}
