// Package isolated runs emulated benches that are as separate as real
// hardware on one host: bench k has its own pcscd with its own reader(s)
// and card ports, so a terminal on bench k sees only bench k's readers, and
// firmware that opens "the first reader with a card" finds its own.
//
// Stock pcsc-lite lists every reader of one daemon to every client, so each
// bench runs a real Debian pcscd of its own. pcscd binds its socket and pid
// file at paths fixed when it was built (/run/pcscd/pcscd.comm and
// pcscd.pid; it ignores PCSCLITE_CSOCK_NAME, and refuses to start while the
// pid file names a live pcscd), so each runs in a mount namespace of its
// own where the bench's folder is bound over /run/pcscd: the socket appears
// on the host as Bench.Socket. Clients (the DUT, poshil's worker) reach it
// through PCSCLITE_CSOCK_NAME, which libpcsclite reads once per process:
// one process talks to one bench's pcscd, so parallel runs use one worker
// process per bench. The readers are given with pcscd's --config, card
// ports are the bench's own (Port), and the network namespace is shared,
// so poshil's emulated card, host and proxies reach them on loopback.
//
// A bench is leased for as long as it runs (its folder's key in package
// lease), so two runs on one host never start or use the same bench.
package isolated

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/lease"
)

// Max is how many isolated benches a host runs at most.
const Max = 16

// BasePort is bench 1's card port; bench k's is BasePort+PortStride*(k-1)
// (clear of the ports a shared pcscd's vpcd uses, 35963..35974).
const (
	BasePort   = 36101
	PortStride = 4
)

// ReaderName is the reader every isolated bench shows, the name the
// embedded bench file gives: every bench is the same model.
const ReaderName = "Virtual PCD 00 00"

// Root is where bench folders live (bench k in Root/k); it must be on a
// file system every process of the host sees.
var Root = "/run/poshil/benches"

// IFDLib is poshil's event-driven reader driver (drivers/ifd), or the one
// POSHIL_IFD_LIB names; without it the benches use Debian's vpcd
// (StockLib).
var (
	IFDLib   = ifdLib()
	StockLib = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
)

func ifdLib() string {
	if l := os.Getenv("POSHIL_IFD_LIB"); l != "" {
		return l
	}
	return "/usr/local/lib/poshil/libifdposhil.so"
}

// ErrUnsupported: this host cannot run isolated benches (not root, no
// mount namespaces, no pcscd); the caller falls back to one shared bench.
var ErrUnsupported = errors.New("isolated benches not available")

// Port is bench k's card port (k from 1).
func Port(k int) int { return BasePort + PortStride*(k-1) }

// Supported says whether isolated benches can run here, and if not why
// (an error wrapping ErrUnsupported).
func Supported() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root for mount namespaces", ErrUnsupported)
	}
	if _, err := exec.LookPath("pcscd"); err != nil {
		return fmt.Errorf("%w: no pcscd: %v", ErrUnsupported, err)
	}
	if _, err := os.Stat(StockLib); err != nil && Driver() == "stock" {
		return fmt.Errorf("%w: no reader driver: %v", ErrUnsupported, err)
	}
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: cannot unshare a mount namespace: %v", ErrUnsupported, err)
	}
	return nil
}

// Driver says which reader driver the benches use: "poshil" (IFDLib is
// installed) or "stock" (Debian's vpcd; card events up to 400 ms late).
func Driver() string {
	if os.Getenv("POSHIL_IFD") != "stock" {
		if _, err := os.Stat(IFDLib); err == nil {
			return "poshil"
		}
	}
	return "stock"
}

// ReaderConf is bench k's reader configuration (one file of the folder
// given to pcscd --config): one reader on Port(k).
func ReaderConf(k int) string {
	p := Port(k)
	if Driver() == "poshil" {
		return fmt.Sprintf("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   0.0.0.0:%d:1\nLIBPATH      %s\n", p, IFDLib)
	}
	return fmt.Sprintf("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   /dev/null:%d\nLIBPATH      %s\nCHANNELID    %d\n", p, StockLib, p)
}

// Bench is one running isolated bench.
type Bench struct {
	// K numbers the bench, from 1.
	K int
	// Dir is the bench's folder (bound over /run/pcscd in its pcscd's
	// namespace); Socket is its pcscd's socket in it.
	Dir, Socket string
	// Emulator is its card slot's address (the bench file's card.emulator).
	Emulator string
	// Left, when not empty, is the run that held the bench before and
	// ended without releasing it (kill -9, a lost host): Start restored
	// its safe state (what the dead run left in its folder cleared, its
	// pcscd started afresh), and the caller says so.
	Left []lease.Left

	lease *lease.Lease
	cmd   *exec.Cmd
	done  chan struct{}
	err   error // cmd.Wait's, once done is closed
	log   *bytes.Buffer
	once  sync.Once
}

// Name is the bench's name in inventories and reports: emulated-k.
func (b *Bench) Name() string { return "emulated-" + strconv.Itoa(b.K) }

// Env is what a process needs to use this bench's pcscd.
func (b *Bench) Env() []string { return []string{"PCSCLITE_CSOCK_NAME=" + b.Socket} }

// Desc is the embedded emulated bench file, on this bench's reader and
// card port, named Name.
func (b *Bench) Desc() (*bench.Bench, error) { return Desc(b.K) }

// Desc is the embedded emulated bench file on bench k's reader and card
// port, named emulated-k (what a worker on bench k runs).
func Desc(k int) (*bench.Bench, error) {
	d, err := bench.Default()
	if err != nil {
		return nil, err
	}
	d.Name = "emulated-" + strconv.Itoa(k)
	d.Card.Reader = ReaderName
	d.Card.Emulator = "127.0.0.1:" + strconv.Itoa(Port(k))
	return d, nil
}

// key is the lease key of bench k: its folder.
func key(dir string, k int) (lease.Key, error) {
	key, err := lease.Workdir(dir)
	if err != nil {
		return lease.Key{}, err
	}
	key.Desc = fmt.Sprintf("isolated bench %d (%s)", k, dir)
	return key, nil
}

// Start leases bench k and starts its pcscd; it returns once the socket
// is there and the card port listens. A bench another run holds is a
// lease.BusyError.
func Start(ctx context.Context, k int) (*Bench, error) {
	if k < 1 || k > Max {
		return nil, fmt.Errorf("isolated: bench %d: want 1..%d", k, Max)
	}
	if err := Supported(); err != nil {
		return nil, err
	}
	dir := filepath.Join(Root, strconv.Itoa(k))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("isolated: %w", err)
	}
	kk, err := key(dir, k)
	if err != nil {
		return nil, err
	}
	l, err := lease.Try(kk)
	if err != nil {
		return nil, err
	}
	b := &Bench{K: k, Dir: dir, Socket: filepath.Join(dir, "pcscd.comm"), Emulator: "127.0.0.1:" + strconv.Itoa(Port(k)),
		lease: l, done: make(chan struct{}), log: &bytes.Buffer{}}
	if err := b.start(ctx); err != nil {
		b.Stop() // a dirty bench stays dirty: Restored was not called
		return nil, err
	}
	if b.Left = l.Left(); len(b.Left) > 0 {
		l.Restored()
	}
	return b, nil
}

// Restored says what Start restored of a bench a dead run left dirty,
// and whose run that was; "" when the bench was clean.
func (b *Bench) Restored() string {
	if len(b.Left) == 0 {
		return ""
	}
	return fmt.Sprintf("bench %s was left dirty by %s, which ended without releasing it; restored its safe state first: its pcscd started afresh, what the run left in %s cleared",
		b.Name(), b.Left[0].Holder.RunString(), b.Dir)
}

// Keys are the lease keys of bench k as `poshil benches` probes them:
// its folder (held by the run that started the bench), its card slot
// (held by the rig that uses the bench) and, while its pcscd runs, its
// reader. A bench never started has no folder and no folder key.
func Keys(ctx context.Context, k int) ([]lease.Key, error) {
	if k < 1 || k > Max {
		return nil, fmt.Errorf("isolated: bench %d: want 1..%d", k, Max)
	}
	var keys []lease.Key
	dir := filepath.Join(Root, strconv.Itoa(k))
	if _, err := os.Lstat(dir); err == nil {
		kk, err := key(dir, k)
		if err != nil {
			return nil, err
		}
		keys = append(keys, kk)
	}
	slot, err := lease.VPCDSlot(ctx, "127.0.0.1:"+strconv.Itoa(Port(k)))
	if err != nil {
		return nil, err
	}
	keys = append(keys, slot)
	// The reader's key names its pcscd's socket, which each start makes
	// anew: only the running one's means anything.
	if r, err := lease.Reader(filepath.Join(dir, "pcscd.comm"), ReaderName); err == nil {
		keys = append(keys, r)
	}
	return keys, nil
}

// StartFree starts n benches, the first free ones of 1..Max (skipping
// those other runs hold). Fewer than n free is an error, and the benches
// started are stopped again.
func StartFree(ctx context.Context, n int) ([]*Bench, error) {
	var out []*Bench
	var busy []error
	for k := 1; k <= Max && len(out) < n; k++ {
		b, err := Start(ctx, k)
		if errors.Is(err, lease.ErrBusy) {
			busy = append(busy, err)
			continue
		}
		if err != nil {
			StopAll(out)
			return nil, err
		}
		out = append(out, b)
	}
	if len(out) < n {
		StopAll(out)
		return nil, fmt.Errorf("isolated: %d bench(es) wanted, %d free: %w", n, len(out), errors.Join(busy...))
	}
	return out, nil
}

// StopAll stops every bench of bs.
func StopAll(bs []*Bench) {
	for _, b := range bs {
		b.Stop()
	}
}

// start clears what a dead run left in the folder (the lease says none
// runs), writes the reader configuration and starts pcscd.
func (b *Bench) start(ctx context.Context) error {
	conf := filepath.Join(b.Dir, "reader.conf.d")
	for _, f := range []string{"pcscd.comm", "pcscd.pid", "reader.conf.d"} {
		if err := os.RemoveAll(filepath.Join(b.Dir, f)); err != nil {
			return fmt.Errorf("isolated: %w", err)
		}
	}
	if err := os.Mkdir(conf, 0o755); err != nil {
		return fmt.Errorf("isolated: %w", err)
	}
	if err := os.WriteFile(filepath.Join(conf, "poshil-bench"), []byte(ReaderConf(b.K)), 0o644); err != nil {
		return fmt.Errorf("isolated: %w", err)
	}
	// In its own mount namespace (Go makes / private there first), the
	// bench's folder is /run/pcscd: pcscd's socket and pid file land in it.
	cmd := exec.Command("/bin/sh", "-c", `mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && exec pcscd --foreground --config "$2"`,
		"poshil-bench", b.Dir, conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = &syncWriter{w: b.log}, &syncWriter{w: b.log}
	cmd.Dir = "/"
	if err := spawn(cmd); err != nil {
		return fmt.Errorf("isolated: start pcscd: %w", err)
	}
	b.cmd = cmd
	go func() {
		b.err = cmd.Wait()
		close(b.done)
	}()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.waitReady(wctx); err != nil {
		return fmt.Errorf("isolated: bench %d: pcscd did not come up: %w (log: %s)", b.K, err, strings.TrimSpace(b.Log()))
	}
	return nil
}

// waitReady waits for the socket and the card port (never by connecting
// to it: a connection there is a card insertion).
func (b *Bench) waitReady(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(b.Socket); err == nil && listening(Port(b.K)) {
			return nil
		}
		select {
		case <-b.done:
			return fmt.Errorf("pcscd exited: %v", b.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Log is what the bench's pcscd wrote so far.
func (b *Bench) Log() string {
	logMu.Lock()
	defer logMu.Unlock()
	return b.log.String()
}

// Exited is closed when the bench's pcscd has exited.
func (b *Bench) Exited() <-chan struct{} { return b.done }

// Stop ends the bench's pcscd (its namespace goes with it) and releases
// the bench. It is safe to call more than once.
func (b *Bench) Stop() {
	b.once.Do(func() {
		if b.cmd != nil && b.cmd.Process != nil {
			_ = b.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-b.done:
			case <-time.After(5 * time.Second):
				_ = b.cmd.Process.Kill()
				<-b.done
			}
		}
		_ = os.Remove(b.Socket)
		if b.lease != nil {
			b.lease.Release()
		}
	})
}

// listening says whether something listens on TCP port on any address,
// as /proc/net/tcp and tcp6 show it.
func listening(port int) bool {
	suffix := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			fs := strings.Fields(line)
			if len(fs) > 3 && strings.HasSuffix(fs[1], suffix) && fs[3] == "0A" { // TCP_LISTEN
				return true
			}
		}
	}
	return false
}

var logMu sync.Mutex

// syncWriter serialises the daemon's stdout and stderr into one buffer,
// bounded so a chatty pcscd cannot grow it without end.
type syncWriter struct{ w *bytes.Buffer }

func (s *syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	if s.w.Len() < 64<<10 {
		s.w.Write(p)
	}
	return len(p), nil
}

// spawner starts every pcscd from one goroutine locked to its OS thread
// for the life of the process: Pdeathsig fires when the thread that
// forked the child exits, and the Go runtime may end a thread whose
// locked goroutine returns, which would stop a bench mid-run.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func spawn(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}
