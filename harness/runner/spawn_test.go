package runner

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/bench"
	"golang.org/x/sys/unix"
)

// TestHelperDUTParent is not a test: TestDUTDiesWithPoshil runs it in a
// process of its own to start a DUT and be killed.
func TestHelperDUTParent(t *testing.T) {
	if os.Getenv("RUNNER_TEST_DUT_PARENT") == "" {
		t.Skip("helper process of TestDUTDiesWithPoshil")
	}
	p := &bench.Process{Command: []string{"sleep", "60"}}
	proc, err := startProcess(p, map[string]string{"{workdir}": t.TempDir()}, nil, nil, bench.LookupProgram, nil, false)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(proc.cmd.Process.Pid)
	time.Sleep(time.Minute) // killed by the test
}

// TestDUTDiesWithPoshil: poshil killed with SIGKILL takes its DUT along
// (parent-death signal), within a second.
func TestDUTDiesWithPoshil(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^TestHelperDUTParent$")
	parent.Env = append(os.Environ(), "RUNNER_TEST_DUT_PARENT=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Process.Kill()
	var pid int
	line, _ := bufio.NewReader(out).ReadString('\n')
	if _, err := fmt.Sscan(line, &pid); err != nil {
		t.Fatalf("helper says %q", line)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	defer unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 1000)
	if n != 1 {
		t.Fatalf("the DUT (pid %d) outlived poshil killed with SIGKILL (poll %d %v)", pid, n, err)
	}
}

// TestDUTInheritsNoDescriptor: a descriptor poshil holds without
// close-on-exec (as go.bug.st/serial and libpcsclite open theirs) does not
// reach the DUT, and the DUT carries the run's marker.
func TestDUTInheritsNoDescriptor(t *testing.T) {
	leak, err := unix.Open("/dev/null", unix.O_RDONLY, 0) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(leak)
	dir := t.TempDir()
	p := &bench.Process{Command: []string{"sh", "-c", "ls /proc/$$/fd; echo $POSHIL_RUN"}}
	out := &boundedBuffer{limit: dutLogLimit}
	proc, err := startProcess(p, map[string]string{"{workdir}": dir}, nil, nil, bench.LookupProgram, out, false)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.done:
	case <-time.After(10 * time.Second):
		proc.Kill()
		t.Fatal("the DUT did not end")
	}
	fds := strings.Fields(out.String())
	if len(fds) == 0 || fds[len(fds)-1] != dir {
		t.Fatalf("DUT output %q: want its fds, then the marker %s", out.String(), dir)
	}
	for _, f := range fds[:len(fds)-1] {
		if f == fmt.Sprint(leak) {
			t.Errorf("the DUT inherited descriptor %d; it has %v", leak, fds[:len(fds)-1])
		}
	}
}
