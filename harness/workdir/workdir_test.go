package workdir

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/lease"
	"golang.org/x/sys/unix"
)

// TestMain runs the "killed run" of TestCleanStale when asked: it makes a
// folder, starts a DUT stand-in marked with it in a session of its own
// (so it outlives this process), prints both and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("WORKDIR_TEST_RUN") != "" {
		lease.SetDir(os.Getenv("WORKDIR_TEST_LOCKS"))
		d, err := New(func(string) {})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		dut := exec.Command("sleep", "60")
		dut.Env = append(os.Environ(), EnvVar+"="+filepath.Join(d.Path(), "scenario-1"))
		dut.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := dut.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(d.Path(), dut.Process.Pid)
		time.Sleep(time.Minute) // killed by the test
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func isolate(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	locks := filepath.Join(tmp, "locks")
	lease.SetDir(locks)
	t.Cleanup(func() { lease.SetDir("") })
	return locks
}

// TestCleanStale: after a run is killed with SIGKILL, the next run kills
// the DUT it left (found by its environment), removes its folder and says
// so; until then the folder is left alone.
func TestCleanStale(t *testing.T) {
	locks := isolate(t)
	run := exec.Command(os.Args[0], "-test.run=^$")
	run.Env = append(os.Environ(), "WORKDIR_TEST_RUN=1", "WORKDIR_TEST_LOCKS="+locks)
	out, err := run.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	var path string
	var dutPID int
	if _, err := fmt.Sscan(line, &path, &dutPID); err != nil {
		t.Fatalf("killed run says %q: %v", line, err)
	}
	dutFD, err := unix.PidfdOpen(dutPID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dutFD)
	defer unix.PidfdSendSignal(dutFD, unix.SIGKILL, nil, 0)

	var notes []string
	CleanStale(func(s string) { notes = append(notes, s) })
	if len(notes) != 0 {
		t.Fatalf("cleaned a live run's folder: %q", notes)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("live folder: %v", err)
	}

	if err := run.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = run.Wait()
	if err := unix.Kill(dutPID, 0); err != nil {
		t.Fatalf("the DUT stand-in did not outlive its run: %v", err)
	}
	d, err := New(func(s string) { notes = append(notes, s) })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Remove()
	if len(notes) != 1 || !strings.Contains(notes[0], fmt.Sprint(dutPID)) || !strings.Contains(notes[0], "removed "+path) {
		t.Fatalf("notices %q: want one naming DUT pid %d and the folder", notes, dutPID)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the dead run's folder is still there: %v", err)
	}
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(dutFD), Events: unix.POLLIN}}, 0)
	if n != 1 || err != nil {
		t.Errorf("the dead run's DUT still runs (poll %d %v)", n, err)
	}
}

func TestNewAndRemove(t *testing.T) {
	isolate(t)
	d, err := New(func(s string) { t.Errorf("notice %q", s) })
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(d.Path())
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("folder %v %v, want mode 0700", st.Mode().Perm(), err)
	}
	// A second run in the same process does not take a live folder.
	CleanStale(func(s string) { t.Errorf("cleaned a live folder: %q", s) })
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path()); !os.IsNotExist(err) {
		t.Errorf("after Remove: %v", err)
	}
	// A folder without run.json (a run still making it) is left alone.
	young := filepath.Join(os.TempDir(), pattern+"young")
	if err := os.Mkdir(young, 0o700); err != nil {
		t.Fatal(err)
	}
	CleanStale(func(s string) { t.Errorf("cleaned a folder without run.json: %q", s) })
	if _, err := os.Stat(young); err != nil {
		t.Error(err)
	}
}
