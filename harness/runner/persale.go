package runner

import (
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/poshil/poshil/harness/dut"
)

// errNotPiped: the launcher started a program the adapter cannot talk to.
var errNotPiped = errors.New("the process adapter needs the DUT program's stdin and output")

// perSaleDUT is a terminal whose firmware program starts once per sale
// (profile per_sale): the lifecycle powers it on and off like any DUT,
// but no process runs while it is idle. Power off kills the program of
// the sale in progress.
type perSaleDUT struct {
	start dut.StartFunc

	mu   sync.Mutex
	link *dut.ProcessLink // set when the adapter attached it
	done chan struct{}
	once sync.Once
}

// perSaleDUT is the per-sale terminal for one power-on: its programs are
// started by launcher with the scenario's placeholders, the run's extra
// arguments and then the sale's.
func (ru *run) perSaleDUT(launcher Launcher) *perSaleDUT {
	return &perSaleDUT{
		done: make(chan struct{}),
		start: func(args, env []string) (dut.Program, error) {
			p, err := launcher.Launch(Launch{Vars: ru.dutVars, Args: append(slices.Clone(ru.dutArgs), args...), Env: env, Log: ru.dutLog, Pipes: true, Config: ru.dutConfig()})
			if err != nil {
				return nil, err
			}
			prog, ok := p.(dut.Program)
			if !ok {
				p.Kill()
				return nil, errNotPiped
			}
			return prog, nil
		},
	}
}

// Pid implements Process: no process runs for the terminal itself.
func (d *perSaleDUT) Pid() int { return 0 }

// Done implements Process: closed when the terminal is powered off.
func (d *perSaleDUT) Done() <-chan struct{} { return d.done }

// Err implements Process.
func (d *perSaleDUT) Err() error { return nil }

// Pipes implements Piped: a per-sale terminal has none of its own.
func (d *perSaleDUT) Pipes() (io.WriteCloser, io.ReadCloser) { return nil, nil }

// Stop implements Process: the program of the sale in progress is killed
// (it holds no state a gentle stop would save that a one-shot program
// keeps across runs).
func (d *perSaleDUT) Stop() { d.Kill() }

// Kill implements Process: the program of the sale in progress is killed
// and the terminal is off.
func (d *perSaleDUT) Kill() {
	d.once.Do(func() {
		d.mu.Lock()
		l := d.link
		d.mu.Unlock()
		if l != nil {
			l.KillProgram()
		}
		close(d.done)
	})
}

// attachPerSale gives the run's link its per-sale adapter (the first
// power-on) or restarts it (a power-on after a cut). Called with l.mu held.
func (l *lazyProcess) attachPerSale(d *perSaleDUT, prof *dut.Profile, tap func(dir, line string)) error {
	if l.link == nil {
		pl, err := dut.NewPerSale(d.start, prof, tap)
		if err != nil {
			return err
		}
		l.link = pl
		close(l.readyCh())
	} else {
		l.link.Restart()
	}
	d.mu.Lock()
	d.link = l.link
	d.mu.Unlock()
	return nil
}
