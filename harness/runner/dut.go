package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/dut"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/workdir"
	"golang.org/x/sys/unix"
)

// stopGrace is how long a DUT process gets between SIGTERM and SIGKILL.
const stopGrace = 2 * time.Second

// dutLogLimit bounds the DUT output kept as evidence.
const dutLogLimit = 256 << 10

// process is a DUT running as a host process.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes

	// stdin and output are the program's pipes when the process adapter
	// talks to it (nil otherwise: its output goes to out).
	stdin  io.WriteCloser
	output io.ReadCloser
}

// processLauncher starts the bench's DUT program as a host process.
type processLauncher struct {
	p      *bench.Process
	lookup func(string) (string, error)
}

// Launch implements Launcher.
func (l processLauncher) Launch(la Launch) (Process, error) {
	p := l.p
	if p.Config != nil && la.Config != nil {
		c := *p
		c.Config = mergeConfig(p.Config, la.Config)
		p = &c
	}
	return startProcess(p, la.Vars, la.Args, la.Env, l.lookup, la.Log, la.Pipes)
}

// mergeConfig is base with over laid on it, neither changed: where both
// hold a mapping under a key the two merge key by key, else over's value
// wins. A scenario's dut.config so changes one timeout of the bench's
// reference terminal and keeps the others.
func mergeConfig(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, okb := out[k].(map[string]any)
		om, oko := v.(map[string]any)
		if okb && oko {
			out[k] = mergeConfig(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

// dutConfig is the scenario's dut.config, nil when it has none.
func (ru *run) dutConfig() map[string]any {
	if ru.sc.DUT == nil {
		return nil
	}
	return ru.sc.DUT.Config
}

// noteDUTConfig says in the transcript what the scenario's dut.config
// lays over the DUT's config (plan.Check has refused it on a bench whose
// DUT takes none).
func (ru *run) noteDUTConfig() {
	c := ru.dutConfig()
	if c == nil {
		return
	}
	data, _ := json.Marshal(c)
	ru.rec.add("dut", "the scenario's dut.config over the bench's: "+string(data))
}

// startProcess expands placeholders, writes the config file and starts the
// DUT. Failing to start is a bench error: the rig could not run the DUT.
func startProcess(p *bench.Process, vars map[string]string, extraArgs, extraEnv []string, lookup func(string) (string, error), out io.Writer, pipes bool) (*process, error) {
	if p.Config != nil {
		cfg := expandAny(p.Config, vars)
		data, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return nil, verdict.Bench("dut config", err)
		}
		if err := os.WriteFile(vars["{config}"], data, 0o600); err != nil {
			return nil, verdict.Bench("dut config", err)
		}
	}
	argv := make([]string, 0, len(p.Command)+len(extraArgs))
	for _, a := range p.Command {
		argv = append(argv, expand(a, vars))
	}
	argv = append(argv, extraArgs...)
	path, args, err := bench.ResolveCommand(argv, lookup)
	if err != nil {
		return nil, verdict.Bench("dut", err)
	}
	cmd := exec.Command(path, args...)
	// The DUT runs in poshil's folder, so relative paths in a bench file
	// mean what they say; its scratch files go to {workdir}.
	// Pdeathsig kills the DUT with poshil (even by SIGKILL); the marker
	// lets the next run find its children (see package workdir).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), workdir.EnvVar+"="+vars["{workdir}"])
	for k, v := range p.Env {
		cmd.Env = append(cmd.Env, k+"="+expand(v, vars))
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	if out == nil {
		out = io.Discard
	}
	pr := &process{cmd: cmd, done: make(chan struct{})}
	var started func()
	if pipes {
		var err error
		pr.stdin, pr.output, started, err = dut.Pipes(cmd)
		if err != nil {
			return nil, verdict.Bench("dut", err)
		}
	} else {
		cmd.Stdout, cmd.Stderr = out, out
	}
	err = spawn(cmd)
	if started != nil {
		started()
	}
	if err != nil {
		if pipes {
			pr.stdin.Close()
			pr.output.Close()
		}
		return nil, verdict.Bench("dut", fmt.Errorf("start %s: %w", path, err))
	}
	go func() {
		pr.err = cmd.Wait()
		close(pr.done)
	}()
	return pr, nil
}

// spawner starts every DUT process from one goroutine locked to its OS
// thread for the life of poshil: Pdeathsig fires when the thread that
// forked the child exits, and the Go runtime may end a thread whose
// locked goroutine returns, which would kill a DUT mid-scenario.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// spawn starts cmd on the spawner's thread, with every descriptor poshil
// holds made close-on-exec first: the DUT inherits only its stdio.
func spawn(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as poshil
			for r := range spawner.reqs {
				sealDescriptors()
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}

// sealDescriptors sets close-on-exec on every descriptor of this process
// above stderr. Go opens its own files close-on-exec, but libraries may
// not (go.bug.st/serial opens its port and a pipe without it; libpcsclite
// its socket).
func sealDescriptors() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
		}
	}
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Pid implements Process.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// Done implements Process.
func (p *process) Done() <-chan struct{} { return p.done }

// Err implements Process: how it ended, once Done is closed.
func (p *process) Err() error {
	if done, err := p.exited(); done {
		return err
	}
	return nil
}

// Pipes implements Piped.
func (p *process) Pipes() (io.WriteCloser, io.ReadCloser) { return p.stdin, p.output }

// Kill ends the process group at once (SIGKILL), as a power cut does, and
// waits (bounded) until it is gone.
func (p *process) Kill() {
	if done, _ := p.exited(); done {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
	}
}

// Stop ends the process: SIGTERM to its process group, SIGKILL after the
// grace period. It always returns within stopGrace plus a moment.
func (p *process) Stop() {
	if done, _ := p.exited(); done {
		return
	}
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(pgid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
	}
}

func expand(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

func expandAny(v any, vars map[string]string) any {
	switch t := v.(type) {
	case string:
		return expand(t, vars)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = expandAny(x, vars)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = expandAny(x, vars)
		}
		return out
	}
	return v
}

// boundedBuffer keeps the first limit bytes written to it, safely from
// several goroutines.
type boundedBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
	lost  int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.limit - b.buf.Len()
	if room < len(p) {
		if room > 0 {
			b.buf.Write(p[:room])
		}
		b.lost += len(p) - max(room, 0)
		return len(p), nil
	}
	b.buf.Write(p)
	return len(p), nil
}

func (b *boundedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if b.lost > 0 {
		s += fmt.Sprintf("\n[... %d bytes not kept]\n", b.lost)
	}
	return s
}

// exitDescription says how a process ended, for a FAIL reason.
func exitDescription(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	if err == nil {
		return "exited with status 0"
	}
	return err.Error()
}

// defaultCleanup bounds the safe state when Options.Cleanup is zero.
const defaultCleanup = 5 * time.Second

// cleanupContext gives cleanup its own deadline (d, or defaultCleanup) even
// when the scenario's context is already cancelled (Ctrl-C, timeout).
func cleanupContext(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = defaultCleanup
	}
	return context.WithTimeout(context.WithoutCancel(parent), d)
}
