package runnertest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/runner"
)

// AnswerFunc is how the fake terminal answers a message from the ECR:
// the messages it sends back, in order.
type AnswerFunc func(t *Terminal, m ecr.Message) []ecr.Message

// Approve answers a SALE with RESULT APPROVED.
func Approve(t *Terminal, m ecr.Message) []ecr.Message {
	if m.Kind != ecr.Sale {
		return nil
	}
	return []ecr.Message{Result("APPROVED")}
}

// Result is a RESULT message with code.
func Result(code string) ecr.Message {
	return ecr.Message{Kind: ecr.Result, Fields: []ecr.Field{{Key: "code", Value: code}}}
}

// Terminal is a fake DUT: the program (runner.Launcher) and its ECR line
// (runner.ECR) in one. Each launch reports READY; each message from the
// ECR gets what the AnswerFunc returns (default Approve).
type Terminal struct {
	log  *Log
	slot *Slot

	mu        sync.Mutex
	answer    AnswerFunc
	link      *Link
	procs     []*Process
	launchErr error
	panicRecv bool
}

var (
	_ runner.Launcher = (*Terminal)(nil)
	_ runner.ECR      = (*Terminal)(nil)
)

// NewTerminal makes a fake terminal that reads cards from slot.
func NewTerminal(log *Log, slot *Slot) *Terminal {
	return &Terminal{log: log, slot: slot, answer: Approve}
}

// SetAnswer replaces how the terminal answers.
func (t *Terminal) SetAnswer(f AnswerFunc) { t.mu.Lock(); t.answer = f; t.mu.Unlock() }

// SetLaunchError makes the next launches fail with err.
func (t *Terminal) SetLaunchError(err error) { t.mu.Lock(); t.launchErr = err; t.mu.Unlock() }

// PanicOnReceive makes the link's Receive panic (a bug in the receive
// loop, which the runner must survive).
func (t *Terminal) PanicOnReceive() { t.mu.Lock(); t.panicRecv = true; t.mu.Unlock() }

// Transmit sends a C-APDU to the card in the slot, as the terminal's
// kernel would.
func (t *Terminal) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	return t.slot.Transmit(ctx, capdu)
}

// Launches is how many times the terminal was started.
func (t *Terminal) Launches() int { t.mu.Lock(); defer t.mu.Unlock(); return len(t.procs) }

// Running reports whether a launched terminal process is still running.
func (t *Terminal) Running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.procs {
		select {
		case <-p.done:
		default:
			return true
		}
	}
	return false
}

// Launch implements runner.Launcher: the process says READY on the link.
func (t *Terminal) Launch(l runner.Launch) (runner.Process, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.launchErr != nil {
		t.log.Add("terminal launch failed")
		return nil, t.launchErr
	}
	p := &Process{log: t.log, pid: 1000 + len(t.procs) + 1, done: make(chan struct{})}
	t.procs = append(t.procs, p)
	t.log.Add("terminal launch %d", p.pid)
	if l.Config != nil {
		data, _ := json.Marshal(l.Config)
		t.log.Add("terminal config %s", data)
	}
	if l.Log != nil {
		fmt.Fprintf(l.Log, "fake terminal %d up\n", p.pid)
	}
	if t.link != nil {
		t.link.push(ecr.Message{Kind: ecr.Ready})
	}
	return p, nil
}

// Flush implements runner.ECR.
func (t *Terminal) Flush() error { t.log.Add("ecr flush"); return nil }

// Err implements runner.ECR: the fake line never fails.
func (t *Terminal) Err() error { return nil }

// Link implements runner.ECR.
func (t *Terminal) Link(tap func(ecr.TapEvent), lineTap func(dir, line string)) (runner.Link, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.link = &Link{t: t, in: make(chan ecr.Message, 64), closed: make(chan struct{})}
	return t.link, nil
}

// Link is the fake terminal's ECR conversation.
type Link struct {
	t      *Terminal
	in     chan ecr.Message // terminal to harness
	once   sync.Once
	closed chan struct{}
}

func (l *Link) push(m ecr.Message) {
	select {
	case l.in <- m:
	case <-l.closed:
	}
}

// Send implements runner.Link: the terminal answers at once.
func (l *Link) Send(ctx context.Context, m ecr.Message) error {
	l.t.log.Add("ecr send %s", m.Kind)
	l.t.mu.Lock()
	answer := l.t.answer
	l.t.mu.Unlock()
	if answer == nil {
		return nil
	}
	for _, a := range answer(l.t, m) {
		l.push(a)
	}
	return nil
}

// Receive implements runner.Link.
func (l *Link) Receive(ctx context.Context) (ecr.Message, error) {
	l.t.mu.Lock()
	p := l.t.panicRecv
	l.t.mu.Unlock()
	if p {
		panic("runnertest: receive loop panic")
	}
	select {
	case m := <-l.in:
		return m, nil
	case <-l.closed:
		return ecr.Message{}, fmt.Errorf("runnertest: link closed")
	case <-ctx.Done():
		return ecr.Message{}, ctx.Err()
	}
}

// Close implements runner.Link.
func (l *Link) Close() error {
	l.once.Do(func() { close(l.closed); l.t.log.Add("ecr close") })
	return nil
}

// Process is a fake terminal process.
type Process struct {
	log  *Log
	pid  int
	done chan struct{}
	once sync.Once
}

var _ runner.Process = (*Process)(nil)

// Pid implements runner.Process.
func (p *Process) Pid() int { return p.pid }

// Done implements runner.Process.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err implements runner.Process.
func (p *Process) Err() error { return nil }

// Stop implements runner.Process.
func (p *Process) Stop() { p.end("stop") }

// Kill implements runner.Process.
func (p *Process) Kill() { p.end("kill") }

func (p *Process) end(how string) {
	p.once.Do(func() {
		p.log.Add("terminal %s %d", how, p.pid)
		close(p.done)
	})
}
