// Package fault holds faults as values (in the manner of Toxiproxy's toxics):
// each fault is a typed struct that a scenario's YAML decodes into, with
// Inject and Clear. Faults register by name; a Spec pairs a fault with its
// trigger (at a time, on an APDU, an ISO 8583 MTI, an ECR message, after N
// bytes) and how long it lasts. The runner guarantees Clear: after the
// scenario, on abort and on panic.
//
// It holds the fault model and the fault types; the parts they act on (the
// emulated card, the MSR line, the supply, the line and network proxies, the
// host) are reached through Target, which the runner implements.
package fault

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Fault is one injectable fault. Inject starts it on t; Clear ends it and
// must be idempotent and safe to call when Inject failed or never ran. Both
// honour ctx and never block past it.
type Fault interface {
	Inject(ctx context.Context, t Target) error
	Clear(ctx context.Context, t Target) error
}

// Part names a part of a bench a fault acts on.
type Part string

// Parts a bench may have.
const (
	PartCard    Part = "card"    // an emulated card (vpcd)
	PartMSR     Part = "msr"     // an emulated magstripe reader line
	PartSupply  Part = "supply"  // a controllable power supply
	PartLine    Part = "line"    // the ECR line through a fault proxy (or relay)
	PartNetwork Part = "network" // the DUT-to-host TCP path through a fault proxy
	PartHost    Part = "host"    // an emulated acquirer host
	PartDUT     Part = "dut"     // a DUT process the harness starts (power cut = kill)
	// PartDUTConfig is a DUT process started with a config file the
	// harness writes, so a scenario's dut.config can change it.
	PartDUTConfig Part = "dut_config"
	PartKeypad    Part = "keypad" // an emulated PIN pad (keypad controller line)
)

// Needer is implemented by faults that need parts; a scenario whose faults
// need a part the bench lacks is INVALID before it runs.
type Needer interface {
	Needs() []Part
}

// ErrUnsupported is returned when the bench lacks what a fault needs.
var ErrUnsupported = errors.New("fault not supported by this bench")

// ErrUnknown is returned for a fault name nobody registered.
var ErrUnknown = errors.New("unknown fault")

type entry struct {
	factory func() Fault
	doc     string
}

var (
	regMu    sync.RWMutex
	registry = map[string]entry{}
)

// Register makes a fault available to scenarios under name. factory
// returns a new zero value (a pointer to the fault's struct) for YAML to
// decode into; doc is one line for `poshil faults` and the docs. Register
// panics on a duplicate name: that is a programming error.
func Register(name, doc string, factory func() Fault) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("fault: duplicate registration of " + name)
	}
	registry[name] = entry{factory: factory, doc: doc}
}

// New returns a fresh zero fault registered as name.
func New(name string) (Fault, error) {
	regMu.RLock()
	e, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return e.factory(), nil
}

// Names lists the registered faults, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Doc is the one-line description of a registered fault.
func Doc(name string) string {
	regMu.RLock()
	defer regMu.RUnlock()
	return registry[name].doc
}

// NeedsOf is what f needs, or nothing.
func NeedsOf(f Fault) []Part {
	if n, ok := f.(Needer); ok {
		return n.Needs()
	}
	return nil
}
