// Package ser2nettest runs a real Debian ser2net (version 4, YAML
// configuration) for tests: it exports local serial devices (typically
// the slave side of a serial.PTY) on loopback, raw TCP or telnet with RFC
// 2217, as a lab's port server exports a bench's UARTs.
//
// A test that calls Start is skipped when ser2net is not installed
// (ci/deps.sh installs it). ser2net resolves its listen address with
// getaddrinfo(AI_ADDRCONFIG), which finds nothing on a network namespace
// that has only loopback; ci/isolated.sh gives its namespace a second
// address for that reason.
package ser2nettest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Export is one device to export.
type Export struct {
	// Device is the local serial device, e.g. a PTY's Path.
	Device string
	// RFC2217 exports it as telnet with the COM-PORT-OPTION; otherwise
	// it is raw TCP.
	RFC2217 bool
	// Line is ser2net's initial line setting, e.g. "9600n81" (default
	// "115200n81").
	Line string
}

// Server is a running ser2net.
type Server struct {
	addrs []string
	log   string
}

// Addr is the address of the i-th export, as serial.OpenAddr takes it:
// rfc2217://127.0.0.1:PORT or tcp://127.0.0.1:PORT.
func (s *Server) Addr(i int) string { return s.addrs[i] }

// Log is what ser2net printed so far (its debug output).
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// Config is ser2net 4's YAML configuration exporting each device on the
// given loopback ports. chardelay is off: ser2net passes bytes on at once
// instead of holding them a few character times (about 3.5 ms per round
// trip, see BenchmarkRemoteRoundTrip).
func Config(exports []Export, ports []int) string {
	var b strings.Builder
	b.WriteString("%YAML 1.1\n---\n")
	for i, e := range exports {
		accepter := fmt.Sprintf("tcp,127.0.0.1,%d", ports[i])
		if e.RFC2217 {
			accepter = "telnet(rfc2217)," + accepter
		}
		line := e.Line
		if line == "" {
			line = "115200n81"
		}
		fmt.Fprintf(&b, "connection: &port%d\n  accepter: %s\n  connector: serialdev,%s,%s,local\n  options:\n    kickolduser: true\n    chardelay: false\n",
			i, accepter, e.Device, line)
	}
	return b.String()
}

// Start runs ser2net exporting exports and waits (at most 10 s) until it
// listens on every port; it is killed when the test ends.
func Start(t testing.TB, exports ...Export) *Server {
	t.Helper()
	bin, err := exec.LookPath("ser2net")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/ser2net"); e != nil {
			t.Skip("ser2net is not installed (apt-get install ser2net; ci/deps.sh)")
		}
		bin = "/usr/sbin/ser2net"
	}
	ports := make([]int, len(exports))
	for i := range exports {
		ports[i] = freePort(t)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ser2net.yaml")
	if err := os.WriteFile(cfg, []byte(Config(exports, ports)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{log: filepath.Join(dir, "ser2net.log")}
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// -d: stay in the foreground, debug output to stdout; -u: no UUCP
	// lock files in /var/lock.
	cmd := exec.Command(bin, "-d", "-u", "-c", cfg, "-P", filepath.Join(dir, "ser2net.pid"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("ser2net: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	for i, e := range exports {
		scheme := "tcp://"
		if e.RFC2217 {
			scheme = "rfc2217://"
		}
		s.addrs = append(s.addrs, fmt.Sprintf("%s127.0.0.1:%d", scheme, ports[i]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, p := range ports {
		if err := waitListening(ctx, p, exited); err != nil {
			t.Fatalf("ser2net does not listen on 127.0.0.1:%d: %v\nconfig:\n%s\nlog:\n%s", p, err, Config(exports, ports), s.Log())
		}
	}
	return s
}

// freePort is a loopback TCP port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitListening waits until something listens on 127.0.0.1:port, as
// /proc/net/tcp shows it (connecting would make ser2net open the device
// for a client that is gone; binding would race with ser2net's bind).
func waitListening(ctx context.Context, port int, exited <-chan error) error {
	want := fmt.Sprintf("0100007F:%04X", port)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		data, err := os.ReadFile("/proc/net/tcp")
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) > 3 && f[1] == want && f[3] == "0A" { // TCP_LISTEN
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("ser2net exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
