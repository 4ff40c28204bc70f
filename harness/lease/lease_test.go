package lease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain keeps the tests' locks in a directory of their own, and runs
// the holder process of TestKilledHolderFreesAtOnce.
func TestMain(m *testing.M) {
	if key := os.Getenv("LEASE_TEST_HOLD"); key != "" {
		SetDir(os.Getenv("LEASE_TEST_DIR"))
		if _, err := Try(Key{Name: key}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("held")
		time.Sleep(time.Minute) // killed by the test
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func tempDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "locks")
	SetDir(d)
	t.Cleanup(func() { SetDir("") })
	return d
}

func TestSpellingsOfOneSlotAreOneLock(t *testing.T) {
	tempDir(t)
	ctx := context.Background()
	first, err := VPCDSlot(ctx, "127.0.0.1:35963")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Try(first)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for _, addr := range []string{"localhost:35963", "127.0.0.2:35963", "[::1]:35963", "0.0.0.0:35963"} {
		k, err := VPCDSlot(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if k.Name != first.Name {
			t.Errorf("%s: key %q, want %q", addr, k.Name, first.Name)
		}
		if _, err := Try(k); !errors.Is(err, ErrBusy) {
			t.Errorf("%s while 127.0.0.1:35963 is held: %v, want ErrBusy", addr, err)
		}
	}
	other, _ := VPCDSlot(ctx, "127.0.0.1:35964")
	l2, err := Try(other)
	if err != nil {
		t.Fatalf("the next slot is another lock: %v", err)
	}
	l2.Release()
}

func TestBusyNamesTheHolder(t *testing.T) {
	tempDir(t)
	k := Key{Name: "test busy"}
	l, err := Try(k)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Try(k)
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) {
		t.Fatalf("second Try: %v, want a *BusyError", err)
	}
	if busy.Holder == nil || busy.Holder.PID != os.Getpid() {
		t.Fatalf("holder %+v, want pid %d", busy.Holder, os.Getpid())
	}
	if want := "bench busy, held by pid " + strconv.Itoa(os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("message %q lacks %q", err, want)
	}
	l.Release()
	l.Release() // idempotent
	l3, err := Try(k)
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	l3.Release()
}

func TestAcquireWaitsBounded(t *testing.T) {
	tempDir(t)
	k := Key{Name: "test wait"}
	l, err := Try(k)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Acquire(short, k); !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire past its deadline: %v, want ErrBusy and DeadlineExceeded", err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	got := make(chan error, 1)
	go func() {
		l2, err := Acquire(ctx, k)
		l2.Release()
		got <- err
	}()
	l.Release()
	if err := <-got; err != nil {
		t.Fatalf("Acquire after the holder released: %v", err)
	}
}

func TestAllOrNothing(t *testing.T) {
	tempDir(t)
	a, b := Key{Name: "a"}, Key{Name: "b"}
	lb, err := Try(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Try(a, b); !errors.Is(err, ErrBusy) {
		t.Fatalf("Try(a, b) with b held: %v", err)
	}
	la, err := Try(a)
	if err != nil {
		t.Fatalf("a was kept after a failed Try: %v", err)
	}
	la.Release()
	lb.Release()
}

func TestPlantedSymlinkIsRefused(t *testing.T) {
	dir := tempDir(t)
	if _, err := Dir(); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := Key{Name: "test symlink"}
	if err := os.Symlink(victim, filepath.Join(dir, fileName(k))); err != nil {
		t.Fatal(err)
	}
	if _, err := Try(k); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Try through a planted symlink: %v, want ErrUnsafe", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the symlink's target was written: %q", b)
	}
}

func TestModes(t *testing.T) {
	dir := tempDir(t)
	k := Key{Name: "test modes"}
	l, err := Try(k)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("lock directory mode %v, want 0700", st.Mode().Perm())
	}
	file := filepath.Join(dir, fileName(k))
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v %v, want mode 0600", st.Mode().Perm(), err)
	}
	// A lock file or directory of another user is refused.
	if os.Geteuid() == 0 {
		if err := os.Chown(file, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if _, err := Try(k); !errors.Is(err, ErrUnsafe) {
			t.Errorf("another user's lock file: %v, want ErrUnsafe", err)
		}
		if err := os.Chown(file, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if _, err := Try(k); !errors.Is(err, ErrUnsafe) {
			t.Errorf("another user's lock directory: %v, want ErrUnsafe", err)
		}
		if err := os.Chown(dir, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	// A lock file others can write is refused, not used.
	if err := os.Chmod(file, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := Try(k); !errors.Is(err, ErrUnsafe) {
		t.Errorf("world-writable lock file: %v, want ErrUnsafe", err)
	}
	// So is a directory others can write.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Try(Key{Name: "other"}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("world-writable lock directory: %v, want ErrUnsafe", err)
	}
	// And a directory that is a symlink.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	SetDir(link)
	if _, err := Try(Key{Name: "other"}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("symlinked lock directory: %v, want ErrUnsafe", err)
	}
}

// TestKilledHolderFreesAtOnce: another process holds a key; it is busy
// (naming that process) until the process is killed with SIGKILL, and free
// at once after.
func TestKilledHolderFreesAtOnce(t *testing.T) {
	dir := tempDir(t)
	k := Key{Name: "test killed"}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LEASE_TEST_HOLD="+k.Name, "LEASE_TEST_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 64)
	n, _ := out.Read(buf) // the child prints "held" once it holds k
	if !strings.HasPrefix(string(buf[:n]), "held") {
		t.Fatalf("holder says %q", buf[:n])
	}
	_, err = Try(k)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Holder == nil || busy.Holder.PID != cmd.Process.Pid {
		t.Fatalf("Try while another process holds it: %v, want busy by pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := Try(k)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}

func TestSerialResolvesSymlinks(t *testing.T) {
	dev := "/dev/null"
	link := filepath.Join(t.TempDir(), "ttyECR")
	if err := os.Symlink(dev, link); err != nil {
		t.Fatal(err)
	}
	a, err := Serial(dev)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Serial(link)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != b.Name {
		t.Errorf("%s and a symlink to it: %q != %q", dev, a.Name, b.Name)
	}
}

func TestReaderKeyedBySocket(t *testing.T) {
	d := t.TempDir()
	s1, s2 := filepath.Join(d, "one.comm"), filepath.Join(d, "two.comm")
	for _, s := range []string{s1, s2} {
		if err := os.WriteFile(s, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := Reader(s1, "Virtual PCD 00 00")
	b, _ := Reader(s2, "Virtual PCD 00 00")
	c, _ := Reader(s1, "Virtual PCD 00 01")
	if a.Name == b.Name || a.Name == c.Name {
		t.Errorf("keys %q %q %q: want three", a.Name, b.Name, c.Name)
	}
}

func TestTCPPortZeroNeedsNoLease(t *testing.T) {
	ctx := context.Background()
	if _, ok, err := TCPPort(ctx, "127.0.0.1:0"); ok || err != nil {
		t.Errorf("port 0: ok %v err %v, want no key", ok, err)
	}
	a, ok, err := TCPPort(ctx, "127.0.0.1:8583")
	b, _, _ := TCPPort(ctx, "localhost:8583")
	if !ok || err != nil || a.Name != b.Name {
		t.Errorf("8583: %q %q %v", a.Name, b.Name, err)
	}
}

func TestRemoteSerialSpellings(t *testing.T) {
	ctx := context.Background()
	a, err := RemoteSerial(ctx, "rfc2217://127.0.0.1:3001")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RemoteSerial(ctx, "tcp://localhost:3001")
	c, _ := RemoteSerial(ctx, "rfc2217://127.0.0.1:3002")
	if a.Name != b.Name || a.Name == c.Name {
		t.Errorf("keys %q %q %q: want the first two one key, the third another", a.Name, b.Name, c.Name)
	}
	if _, err := RemoteSerial(ctx, "127.0.0.1:3001"); err == nil {
		t.Error("an address without a scheme gave a key")
	}
}
