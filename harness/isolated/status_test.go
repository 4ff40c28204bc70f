package isolated

import (
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProbe: another process's view of a bench (its lease and its
// pcscd): free before; busy with a live pcscd while started; unhealthy
// when its pcscd dies under the run; free after; unhealthy while another
// program holds its card port.
func TestProbe(t *testing.T) {
	need(t)
	const k = 3
	busy := func(st Status) bool {
		for _, s := range st.States {
			if s.Busy {
				return true
			}
		}
		return false
	}
	probe := func(what string) Status {
		t.Helper()
		st, err := Probe(t.Context(), k)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return st
	}
	if st := probe("before"); busy(st) || st.Problem != "" || st.PCSCD != 0 {
		t.Fatalf("before: %+v, want free and healthy", st)
	}
	b, err := Start(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	st := probe("started")
	if !busy(st) || st.PCSCD != b.cmd.Process.Pid || st.Problem != "" {
		t.Fatalf("started: %+v, want busy, pcscd pid %d, healthy", st, b.cmd.Process.Pid)
	}
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("pcscd did not die")
	}
	if st := probe("pcscd killed"); !busy(st) || !strings.Contains(st.Problem, "pcscd is not running") {
		t.Errorf("pcscd killed: %+v, want busy and its pcscd not running", st)
	}
	b.Stop()
	if st := probe("stopped"); busy(st) || st.Problem != "" {
		t.Errorf("stopped: %+v, want free and healthy", st)
	}
	for _, s := range probe("stopped").States {
		if s.Left {
			t.Errorf("stopped: %s left dirty by %+v", s.Key, s.Holder)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(Port(k)))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if st := probe("port taken"); !strings.Contains(st.Problem, "card port "+strconv.Itoa(Port(k))+" is taken") {
		t.Errorf("port taken: %+v, want unhealthy: card port taken", st)
	}
}
