// Package runnertest has fakes of the rig's parts (runner.Parts), in the
// manner of periph.io's gpiotest: a fake card reader and slot, a fake
// terminal that is both the DUT program and its ECR line, a host journal,
// a network proxy and a supply. Every part records what the run did to it
// in one ordered Log, so a test can check what happened and in which
// order (the DUT stopped before a fault cleared) without pcscd, vpcd or
// any process.
package runnertest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/runner"
)

// Log is the ordered record of what a run did to the fake parts, one
// entry per call, e.g. "terminal launch 1", "supply output off".
type Log struct {
	mu      sync.Mutex
	entries []string
	changed chan struct{}
}

// Add records one entry.
func (l *Log) Add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, fmt.Sprintf(format, args...))
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// Entries is a copy of the log so far.
func (l *Log) Entries() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// Index is the position of the first entry starting with prefix, or -1.
func (l *Log) Index(prefix string) int {
	return slices.IndexFunc(l.Entries(), func(e string) bool { return strings.HasPrefix(e, prefix) })
}

// Count is the number of entries starting with prefix.
func (l *Log) Count(prefix string) int {
	n := 0
	for _, e := range l.Entries() {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// Wait blocks until an entry starts with prefix, or the timeout passes
// (then it reports false).
func (l *Log) Wait(prefix string, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		l.mu.Lock()
		found := slices.ContainsFunc(l.entries, func(e string) bool { return strings.HasPrefix(e, prefix) })
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		}
	}
}

// String is the log, one entry a line.
func (l *Log) String() string { return strings.Join(l.Entries(), "\n") }

// Bench is a fake bench: every part records into Log.
type Bench struct {
	Log      *Log
	Reader   *Reader
	Slot     *Slot
	Terminal *Terminal
	Host     *Host
	Network  *Network
	Supply   *Supply
}

// New makes a fake bench whose parts share one log.
func New() *Bench {
	log := &Log{}
	b := &Bench{Log: log, Host: &Host{log: log}, Network: &Network{log: log}, Supply: NewSupply(log, 4200*physic.MilliVolt)}
	b.Slot = &Slot{log: log}
	b.Reader = &Reader{log: log, slot: b.Slot}
	b.Terminal = NewTerminal(log, b.Slot)
	return b
}

// Parts are the fakes as the runner takes them.
func (b *Bench) Parts() runner.Parts {
	return runner.Parts{Reader: b.Reader, Slot: b.Slot, DUT: b.Terminal, ECR: b.Terminal,
		Host: b.Host, Network: b.Network, Supply: b.Supply}
}

// Config is a bench description that matches the fakes: an emulated card
// in a slot, a DUT process, an emulated host behind a proxy, a supply.
func (b *Bench) Config() *bench.Bench {
	return &bench.Bench{
		Name:  "fake",
		File:  "fake-bench.yaml",
		Card:  bench.Card{Reader: "Fake Reader 00", Emulator: "fake-slot"},
		Host:  bench.Host{Emulated: &bench.EmulatedHost{Default: "00"}, Proxy: true},
		Power: &bench.Power{Supply: "emulated", Nominal: power.Voltage(4200 * physic.MilliVolt)},
		DUT:   bench.DUT{BootTimeout: 2 * time.Second, Process: &bench.Process{Command: []string{"fake-terminal"}}},
	}
}
