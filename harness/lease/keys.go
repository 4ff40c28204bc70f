package lease

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// netns names this process's network namespace ("net:[4026531840]"): two
// private benches (ci/isolated.sh) each have a vpcd on 127.0.0.1:35963.
func netns() string {
	s, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return "net:?"
	}
	return s
}

// canonicalHostPort resolves host:port to "local:PORT" when the address
// is this host's (any loopback address, an address of an interface, the
// wildcard), else to "IP:PORT" of its first address.
func canonicalHostPort(ctx context.Context, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", fmt.Errorf("%s: bad port: %w", addr, err)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip.Unmap()}
	} else {
		if host == "" {
			host = "0.0.0.0"
		}
		found, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return "", fmt.Errorf("%s: %w", addr, err)
		}
		for _, ip := range found {
			ips = append(ips, ip.Unmap())
		}
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("%s: no address", addr)
	}
	for _, ip := range ips {
		if isLocal(ip) {
			return "local:" + strconv.FormatUint(p, 10), nil
		}
	}
	return netip.AddrPortFrom(ips[0], uint16(p)).String(), nil
}

// isLocal reports whether ip reaches this host.
func isLocal(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if x, ok := netip.AddrFromSlice(n.IP); ok && x.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

// VPCDSlot is the key of the vpcd card slot at addr (host:port): every
// spelling of one slot (127.0.0.1:35963, localhost:35963, 127.0.0.2:35963,
// this host's own address) gives one key, within this network namespace.
func VPCDSlot(ctx context.Context, addr string) (Key, error) {
	c, err := canonicalHostPort(ctx, addr)
	if err != nil {
		return Key{}, fmt.Errorf("lease: vpcd slot %w", err)
	}
	return Key{Name: "vpcd " + netns() + " " + c, Desc: "vpcd slot " + addr}, nil
}

// TCPPort is the key of a TCP listen address; a port 0 (any free port)
// needs no lease and gives ok false.
func TCPPort(ctx context.Context, addr string) (k Key, ok bool, err error) {
	c, err := canonicalHostPort(ctx, addr)
	if err != nil {
		return Key{}, false, fmt.Errorf("lease: listen %w", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if n, _ := strconv.Atoi(port); n == 0 {
		return Key{}, false, nil
	}
	return Key{Name: "tcp " + netns() + " " + c, Desc: "listen " + addr}, true, nil
}

// PCSCSocket is pcscd's socket as libpcsclite finds it.
func PCSCSocket() string {
	if s := os.Getenv("PCSCLITE_CSOCK_NAME"); s != "" {
		return s
	}
	return "/run/pcscd/pcscd.comm"
}

// Reader is the key of a PC/SC reader of the pcscd listening on socket:
// the socket is identified by its device and inode, so two pcscds (two
// private benches) with a reader of the same name are two keys.
func Reader(socket, name string) (Key, error) {
	var st unix.Stat_t
	if err := unix.Stat(socket, &st); err != nil {
		return Key{}, fmt.Errorf("lease: pcscd socket %s: %w", socket, err)
	}
	return Key{Name: fmt.Sprintf("reader %d:%d %s", st.Dev, st.Ino, name), Desc: "reader " + name}, nil
}

// Serial is the key of the serial device at path, resolved through
// symlinks (/dev/serial/by-id/...) to the device itself: two names of one
// device give one key.
func Serial(path string) (Key, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return Key{}, fmt.Errorf("lease: serial %w", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(real, &st); err != nil {
		return Key{}, fmt.Errorf("lease: serial %s: %w", path, err)
	}
	name := fmt.Sprintf("file %d:%d", st.Dev, st.Ino)
	if st.Mode&unix.S_IFMT == unix.S_IFCHR {
		name = fmt.Sprintf("chardev %d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	return Key{Name: "serial " + name, Desc: "serial " + path}, nil
}

// Workdir is the key a run holds on its own work folder for as long as
// it lives: a folder whose key is free belongs to a run that died.
func Workdir(dir string) (Key, error) {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return Key{}, fmt.Errorf("lease: workdir %w", err)
	}
	return Key{Name: fmt.Sprintf("workdir %d:%d", st.Dev, st.Ino), Desc: "work folder " + dir}, nil
}

// RemoteSerial is the key of a port server's serial port
// (rfc2217://host:port or tcp://host:port, e.g. exported by ser2net):
// every spelling of one host:port gives one key, within this network
// namespace. It guards the port among the runs of this host only; the
// port server itself serves one client at a time.
func RemoteSerial(ctx context.Context, addr string) (Key, error) {
	_, hp, ok := strings.Cut(addr, "://")
	if !ok {
		return Key{}, fmt.Errorf("lease: remote serial %s: want scheme://host:port", addr)
	}
	c, err := canonicalHostPort(ctx, hp)
	if err != nil {
		return Key{}, fmt.Errorf("lease: remote serial %w", err)
	}
	return Key{Name: "serial-remote " + netns() + " " + c, Desc: "serial " + addr}, nil
}
