package lease

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func probeOne(t *testing.T, k Key) State {
	t.Helper()
	st, err := Probe(k)
	if err != nil {
		t.Fatal(err)
	}
	return st[0]
}

// TestKilledHolderLeavesItDirty: a holder killed with SIGKILL frees the
// key at once, but its holder stays in the file: Probe says Left (naming
// the dead run), the next lease reports it in Left, and after a clean
// Release the key is free and clean.
func TestKilledHolderLeavesItDirty(t *testing.T) {
	dir := tempDir(t)
	k := Key{Name: "test dirty"}
	if st := probeOne(t, k); st.Busy || st.Left {
		t.Fatalf("never used: %+v", st)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LEASE_TEST_HOLD="+k.Name, "LEASE_TEST_DIR="+dir, "POSHIL_RUN_ID=victim-run")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 64)
	if n, _ := out.Read(buf); !strings.HasPrefix(string(buf[:n]), "held") {
		t.Fatalf("holder says %q", buf[:n])
	}
	st := probeOne(t, k)
	if !st.Busy || st.Holder == nil || st.Holder.PID != cmd.Process.Pid || st.Holder.RunID != "victim-run" || st.Holder.Host == "" {
		t.Fatalf("while held: %+v %+v, want busy by pid %d, run victim-run", st, st.Holder, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if st := probeOne(t, k); st.Busy || !st.Left || st.Holder.PID != cmd.Process.Pid || !st.Holder.Dead(time.Now()) {
		t.Fatalf("after kill -9: %+v, want free but left dirty by pid %d", st, cmd.Process.Pid)
	}
	l, err := Try(k)
	if err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
	left := l.Left()
	if len(left) != 1 || left[0].Holder.RunID != "victim-run" {
		t.Fatalf("Left %+v, want the victim's run", left)
	}
	// Released without Restored (its bring-up failed): still dirty.
	l.Release()
	if st := probeOne(t, k); !st.Left || st.Holder.RunID != "victim-run" {
		t.Fatalf("released unrestored: %+v, want still left by victim-run", st)
	}
	l, err = Try(k)
	if err != nil || len(l.Left()) != 1 {
		t.Fatalf("second taker: %v %+v, want it dirty still", err, l.Left())
	}
	l.Restored()
	l.Release()
	if st := probeOne(t, k); st.Busy || st.Left {
		t.Fatalf("after a clean release: %+v", st)
	}
	l, _ = Try(k)
	if len(l.Left()) != 0 {
		t.Errorf("a clean release left %+v", l.Left())
	}
	l.Release()
}

// TestOtherHostHeartbeat: in a lock folder shared with another host, that
// host's holder holds the key while its heartbeat is fresh, and is gone
// once the heartbeat is older than TTL.
func TestOtherHostHeartbeat(t *testing.T) {
	dir := tempDir(t)
	k := Key{Name: "test other host"}
	if l, err := Try(k); err == nil { // creates the file, 0600
		l.Release()
	}
	plant := func(beat time.Time) {
		b, _ := json.Marshal(Holder{PID: 1, Host: "bench-host-7", RunID: "ci-42", Since: beat, Heartbeat: beat})
		if err := os.WriteFile(filepath.Join(dir, fileName(k)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	plant(time.Now().Add(-TTL / 2))
	_, err := Try(k)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Holder.RunID != "ci-42" {
		t.Fatalf("fresh heartbeat on another host: %v, want busy by run ci-42", err)
	}
	if st := probeOne(t, k); !st.Busy {
		t.Errorf("Probe: %+v, want busy", st)
	}
	plant(time.Now().Add(-TTL - time.Second))
	if st := probeOne(t, k); st.Busy || !st.Left {
		t.Errorf("Probe past the TTL: %+v, want free, left dirty", st)
	}
	l, err := Try(k)
	if err != nil {
		t.Fatalf("heartbeat older than TTL: %v", err)
	}
	if left := l.Left(); len(left) != 1 || left[0].Holder.Host != "bench-host-7" {
		t.Errorf("Left %+v", left)
	}
	l.Release()
}

// TestHeartbeatAdvances: a held lock's heartbeat is rewritten while held.
func TestHeartbeatAdvances(t *testing.T) {
	tempDir(t)
	old := heartbeatEvery
	heartbeatEvery = 20 * time.Millisecond
	t.Cleanup(func() { heartbeatEvery = old })
	k := Key{Name: "test heartbeat"}
	l, err := Try(k)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	first := probeOne(t, k).Holder.Heartbeat
	deadline := time.Now().Add(5 * time.Second)
	for probeOne(t, k).Holder.Heartbeat.Equal(first) {
		if time.Now().After(deadline) {
			t.Fatal("the heartbeat never advanced")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHolderRunString: a holder's run as the notices name it, "?" for
// what it did not record.
func TestHolderRunString(t *testing.T) {
	since := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	if got, want := (Holder{RunID: "r1", PID: 42, Host: "lab-3", Since: since}).RunString(), "run r1 (pid 42 on lab-3, since 2026-12-05T21:00:00Z)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := (Holder{PID: 7, Since: since}).RunString(), "run ? (pid 7 on ?, since 2026-12-05T21:00:00Z)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
