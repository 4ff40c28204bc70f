package runner

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/hosttls"
	"github.com/poshil/poshil/harness/bench"
)

// A TLS bench gives the DUT the committed test CA as {host_ca}; the safe
// state puts the good certificate back and a new scenario starts with no
// plain-TCP connection counted.
func TestHostTLSRig(t *testing.T) {
	b := &bench.Bench{Host: bench.Host{Emulated: &bench.EmulatedHost{}, TLS: &bench.HostTLS{}}}
	r := newRig(b, Options{})
	r.workdir = t.TempDir()
	var err error
	if r.acq, err = acquirer.NewServer(acquirer.Config{}); err != nil {
		t.Fatal(err)
	}
	if err := r.openHostTLS(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(r.hostCA)
	want, _ := os.ReadFile(filepath.Join("..", "..", "fixtures", "hosttls", "testdata", hosttls.CAFile))
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("{host_ca} %s is not the committed test CA", r.hostCA)
	}
	if r.acq.TLS() != r.front || r.proxyOptions().Front != r.front || r.proxyOptions().Back == nil {
		t.Error("host and proxy do not share the rig's TLS front")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tl := r.front.Listen(ln)
	go func() {
		c, err := tl.Accept()
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Read(make([]byte, 1))
			_ = c.Close()
		}
	}()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Write([]byte("0200"))
	_, _ = c.Read(make([]byte, 1)) // closed by the front
	c.Close()
	if n, ok := r.plainTCP(); !ok || n != 1 {
		t.Fatalf("plain %d %v, want 1 on a TLS bench", n, ok)
	}
	if _, err := r.front.Use(hosttls.Expired); err != nil {
		t.Fatal(err)
	}
	if err := r.resetParts(); err != nil {
		t.Fatal(err)
	}
	if k := r.front.InForce(); k != hosttls.Good {
		t.Errorf("%s in force in the safe state", k)
	}
	if n, _ := r.plainTCP(); n != 0 {
		t.Errorf("plain %d after the reset, want 0", n)
	}
	plain := newRig(&bench.Bench{}, Options{})
	if _, ok := plain.plainTCP(); ok {
		t.Error("a bench without host.tls reports TLS")
	}
}
