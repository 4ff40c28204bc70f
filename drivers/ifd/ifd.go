// Package ifd says which emulated card reader a pcscd serves: poshil's
// event-driven IFD handler (libifdposhil.so, built from csrc/ by build.sh)
// or Debian's stock vpcd. Both speak vpcd's card-side wire protocol, so
// the cards of package vpcd plug into either unchanged; ours reports a
// card's insertion and removal to pcscd at once, stock vpcd at its next
// 400 ms poll.
//
// It reads pcscd's reader configuration (/etc/reader.conf.d, or the
// private one of an isolated bench); it does not talk to pcscd.
package ifd

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File names and places of the two drivers.
const (
	// LibName is the file name of poshil's driver.
	LibName = "libifdposhil.so"
	// LibPath is where ci/deps.sh installs it.
	LibPath = "/usr/local/lib/poshil/" + LibName
	// StockLibName is the file name of Debian's vpcd driver.
	StockLibName = "libifdvpcd.so"
	// ConfDir is pcscd's reader configuration directory.
	ConfDir = "/etc/reader.conf.d"
)

// Reader is one reader entry of pcscd's configuration.
type Reader struct {
	Name   string // FRIENDLYNAME; pcscd names its slots "Name 00 0N"
	Device string // DEVICENAME
	Lib    string // LIBPATH
	Port   int    // TCP card port of slot 0 (0 when the entry names none)
	Slots  int    // number of slots
	File   string // the file and line of its FRIENDLYNAME
	Line   int
}

// Ours reports whether the entry uses poshil's driver.
func (r Reader) Ours() bool { return filepath.Base(r.Lib) == LibName }

// Stock reports whether the entry uses Debian's vpcd.
func (r Reader) Stock() bool { return filepath.Base(r.Lib) == StockLibName }

// SlotName is the PC/SC name of slot n, e.g. "Virtual PCD 00 01" (the
// first of the readers with that name).
func (r Reader) SlotName(n int) string { return fmt.Sprintf("%s 00 %02X", r.Name, n) }

// SlotAddr is the card-side address of slot n on this host.
func (r Reader) SlotAddr(n int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port+n))
}

// ReadConfig reads the reader entries of every file in dir, as pcscd
// does (files starting with '.' are skipped), in file name order.
func ReadConfig(dir string) ([]Reader, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Reader
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		rs, err := readFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// readFile reads the entries of one reader.conf file. An entry starts at
// its FRIENDLYNAME.
func readFile(path string) ([]Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Reader
	channel := ""
	finish := func() {
		if len(out) == 0 {
			return
		}
		r := &out[len(out)-1]
		r.Port, r.Slots = portSlots(r.Device, channel, r.Ours())
		channel = ""
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.ToUpper(key) {
		case "FRIENDLYNAME":
			finish()
			out = append(out, Reader{Name: val, File: path, Line: n})
		case "DEVICENAME", "LIBPATH", "CHANNELID":
			if len(out) == 0 {
				return nil, fmt.Errorf("%s:%d: %s before FRIENDLYNAME", path, n, key)
			}
			r := &out[len(out)-1]
			switch strings.ToUpper(key) {
			case "DEVICENAME":
				r.Device = val
			case "LIBPATH":
				r.Lib = val
			default:
				channel = val
			}
		}
	}
	finish()
	return out, sc.Err()
}

// portSlots reads the card port of slot 0 and the number of slots from a
// DEVICENAME "HOST:PORT[:SLOTS]" (ours) or "/dev/null:PORT" (vpcd, two
// slots), or from CHANNELID.
func portSlots(device, channel string, ours bool) (port, slots int) {
	slots = 2
	f := strings.Split(device, ":")
	p := channel
	if len(f) >= 2 {
		p = f[1]
	}
	if v, err := strconv.ParseUint(p, 0, 16); err == nil {
		port = int(v)
	}
	if ours && len(f) == 3 {
		if v, err := strconv.Atoi(f[2]); err == nil && v > 0 {
			slots = v
		}
	}
	return port, slots
}

// Status says which emulated readers a pcscd configuration serves.
type Status struct {
	Dir   string
	Ours  *Reader // poshil's driver, when configured and its library exists
	Stock *Reader // Debian's vpcd, when configured
	// Missing names a configured poshil library that does not exist.
	Missing string
}

// Check reads the configuration in dir (ConfDir on a host, the private
// one in an isolated bench).
func Check(dir string) (Status, error) {
	rs, err := ReadConfig(dir)
	if err != nil {
		return Status{Dir: dir}, err
	}
	s := Status{Dir: dir}
	for i := range rs {
		r := rs[i]
		switch {
		case r.Ours() && s.Ours == nil:
			if _, err := os.Stat(r.Lib); err != nil {
				s.Missing = r.Lib
				continue
			}
			s.Ours = &r
		case r.Stock() && s.Stock == nil:
			s.Stock = &r
		}
	}
	return s, nil
}

// String says in one line which reader serves the emulated cards.
func (s Status) String() string {
	var b strings.Builder
	if s.Ours != nil {
		fmt.Fprintf(&b, "poshil IFD driver: %q on ports %d..%d (%s)", s.Ours.Name, s.Ours.Port, s.Ours.Port+s.Ours.Slots-1, s.Ours.Lib)
	} else {
		b.WriteString("stock vpcd: poshil IFD driver not ")
		if s.Missing != "" {
			fmt.Fprintf(&b, "installed (%s missing)", s.Missing)
		} else {
			fmt.Fprintf(&b, "configured in %s", s.Dir)
		}
		b.WriteString("; card events up to 400 ms late")
	}
	if s.Stock != nil {
		fmt.Fprintf(&b, "; stock vpcd %q on ports %d..%d", s.Stock.Name, s.Stock.Port, s.Stock.Port+s.Stock.Slots-1)
	}
	return b.String()
}
