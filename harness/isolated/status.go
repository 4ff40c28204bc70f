package isolated

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/lease"
)

// Status is isolated bench k as another process sees it, from its own
// lease and its own pcscd (Probe).
type Status struct {
	K int
	// States are the lease states of the bench's keys: its folder (held
	// by the run that started the bench), its card slot and its reader
	// (held by the worker whose rig runs on it).
	States []lease.State
	// PCSCD is the pid of the bench's pcscd when one runs (its pid file
	// in the bench's folder names a live pcscd), else 0.
	PCSCD int
	// Problem says why the bench cannot run, or "" when it can: a busy
	// bench whose pcscd does not answer, a free one whose card port
	// another program holds or whose pcscd a dead run left running, or
	// a host that cannot run isolated benches.
	Problem string
}

// Probe reports isolated bench k's state without taking it (lease.Probe
// reads the locks; the pcscd is only connected to and left at once).
func Probe(ctx context.Context, k int) (Status, error) {
	if k < 1 || k > Max {
		return Status{}, fmt.Errorf("isolated: bench %d: want 1..%d", k, Max)
	}
	st := Status{K: k}
	dir := filepath.Join(Root, strconv.Itoa(k))
	socket := filepath.Join(dir, "pcscd.comm")
	var keys []lease.Key
	if _, err := os.Lstat(dir); err == nil {
		kk, err := key(dir, k)
		if err != nil {
			return st, err
		}
		keys = append(keys, kk)
	} else if !errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("isolated: %w", err)
	}
	slot, err := lease.VPCDSlot(ctx, "127.0.0.1:"+strconv.Itoa(Port(k)))
	if err != nil {
		return st, err
	}
	keys = append(keys, slot)
	if rk, err := lease.Reader(socket, ReaderName); err == nil {
		keys = append(keys, rk)
	}
	if st.States, err = lease.Probe(keys...); err != nil {
		return st, err
	}
	st.PCSCD = pcscdPid(dir)
	busy := false
	for _, s := range st.States {
		busy = busy || s.Busy
	}
	switch {
	case busy:
		if st.PCSCD == 0 {
			st.Problem = fmt.Sprintf("bench %d is held but its pcscd is not running (starting, or it died)", k)
		} else if err := answers(ctx, socket); err != nil {
			st.Problem = fmt.Sprintf("bench %d's pcscd (pid %d) does not answer: %v", k, st.PCSCD, err)
		}
	case st.PCSCD != 0:
		st.Problem = fmt.Sprintf("bench %d: a pcscd (pid %d) runs on it, but no run holds it", k, st.PCSCD)
	default:
		if err := Supported(); err != nil {
			st.Problem = err.Error()
		} else if listening(Port(k)) {
			st.Problem = fmt.Sprintf("bench %d: its card port %d is taken by another program", k, Port(k))
		}
	}
	return st, nil
}

// pcscdPid is the pid the pid file in dir names, when that process is a
// live pcscd; else 0.
func pcscdPid(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "pcscd.pid"))
	if err != nil {
		return 0
	}
	// pcscd writes "pid\n\x00".
	pid, err := strconv.Atoi(strings.Trim(string(data), " \n\x00"))
	if err != nil || pid <= 0 {
		return 0
	}
	// /proc/pid/stat: "pid (comm) state ..."; a zombie runs no more.
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	comm, rest, ok := strings.Cut(string(stat), ") ")
	if !ok || !strings.HasSuffix(comm, "(pcscd") || strings.HasPrefix(rest, "Z") || strings.HasPrefix(rest, "X") {
		return 0
	}
	return pid
}

// answers connects to a pcscd's socket and leaves (pcscd takes a client
// that sends nothing and goes as no client at all).
func answers(ctx context.Context, socket string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return err
	}
	return c.Close()
}
