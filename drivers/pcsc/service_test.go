package pcsc_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/pcsc"
)

// nsScript starts a private pcscd in fresh mount, network and PID
// namespaces (its own /run/pcscd and vpcd ports, invisible to the real
// one) and runs the test binary ($0) against it.
const nsScript = `set -e
ip link set lo up
mkdir -p /run/pcscd && mount -t tmpfs tmpfs /run/pcscd
pcscd --foreground >/dev/null 2>&1 &
export POSHIL_PCSCD_PID=$!
i=0
while [ ! -S /run/pcscd/pcscd.comm ]; do
  i=$((i+1)); [ $i -lt 100 ] || { echo "private pcscd did not start" >&2; exit 1; }
  sleep 0.05
done
exec "$0" -test.run '^TestServiceStops$' -test.v
`

// TestServiceStops: when pcscd stops, a pending wait and later calls fail
// with ErrNoService at once instead of hanging. pcscd is stopped in a
// private namespace, never the shared one; without the rights to make
// namespaces the test is skipped.
func TestServiceStops(t *testing.T) {
	pid, _ := strconv.Atoi(os.Getenv("POSHIL_PCSCD_PID"))
	if pid == 0 {
		for _, tool := range []string{"unshare", "ip", "pcscd"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s not installed", tool)
			}
		}
		if os.Geteuid() != 0 {
			t.Skip("needs root to run a private pcscd")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc",
			"sh", "-c", nsScript, os.Args[0])
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 && len(out) > 0 && string(out[:min(len(out), 8)]) == "unshare:" {
			t.Skipf("cannot make namespaces here: %s", out)
		}
		if err != nil {
			t.Fatalf("private pcscd run: %v\n%s", err, out)
		}
		t.Logf("%s", out)
		return
	}

	// Inside the namespaces: the only pcscd is the private one.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pcsc.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waited := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		waited <- c.Reader("Virtual PCD 00 00").WaitPresent(ctx) // no card ever comes
	}()
	<-started
	select {
	case err := <-waited:
		t.Fatalf("WaitPresent returned before pcscd stopped: %v", err)
	case <-time.After(300 * time.Millisecond): // the wait is pending
	}
	stopped := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if !errors.Is(err, pcsc.ErrNoService) {
			t.Errorf("WaitPresent: %v, want ErrNoService", err)
		}
		if d := time.Since(stopped); d > time.Second {
			t.Errorf("WaitPresent noticed after %v, want within 1 s", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("WaitPresent hangs after pcscd stopped")
	}
	if _, err := c.Readers(ctx); !errors.Is(err, pcsc.ErrNoService) {
		t.Errorf("Readers: %v, want ErrNoService", err)
	}
	if _, err := pcsc.Open(); !errors.Is(err, pcsc.ErrNoService) {
		t.Errorf("Open: %v, want ErrNoService", err)
	}
}
