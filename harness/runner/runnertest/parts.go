package runnertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power/emulated"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/runner"
)

// Host is a fake host journal: empty, recording resets.
type Host struct{ log *Log }

var _ runner.Host = (*Host)(nil)

// Reset implements runner.Host.
func (h *Host) Reset() { h.log.Add("host reset") }

// ResetBehaviour implements runner.Host.
func (h *Host) ResetBehaviour() { h.log.Add("host reset behaviour") }

// Journal implements runner.Host: nothing was received.
func (h *Host) Journal() []acquirer.Record { return nil }

// Wait implements runner.Host: nothing arrives; it waits for ctx.
func (h *Host) Wait(ctx context.Context, pred func(acquirer.Record) bool) (acquirer.Record, error) {
	<-ctx.Done()
	return acquirer.Record{}, ctx.Err()
}

// Net implements runner.Host.
func (h *Host) Net(pan string) int64 { return 0 }

// PendingUntil implements runner.Host: the fake holds no late response.
func (h *Host) PendingUntil() time.Time { return time.Time{} }

// Network is a fake network proxy recording resets.
type Network struct{ log *Log }

var _ runner.Network = (*Network)(nil)

// ResetAll implements runner.Network.
func (n *Network) ResetAll() int { n.log.Add("network reset"); return 0 }

// Supply is a fake DUT supply: output and voltage in memory; every change
// is recorded and announced to the OnChange callbacks, as the emulated
// supply does.
type Supply struct {
	log     *Log
	nominal physic.ElectricPotential

	op   sync.Mutex // serializes changes, as emulated.Supply does
	mu   sync.Mutex
	st   emulated.State
	subs []emulated.ChangeFunc
}

var _ runner.Supply = (*Supply)(nil)

// NewSupply is a fake supply on at nominal.
func NewSupply(log *Log, nominal physic.ElectricPotential) *Supply {
	return &Supply{log: log, nominal: nominal, st: emulated.State{Output: true, Voltage: nominal}}
}

// String implements power.Supply.
func (s *Supply) String() string { return "fake supply" }

// Nominal is the supply's nominal voltage.
func (s *Supply) Nominal() physic.ElectricPotential { return s.nominal }

// Path implements runner.Supply: no state file.
func (s *Supply) Path() string { return "" }

// Output reports whether the output is on.
func (s *Supply) Output() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.st.Output }

// OnChange implements runner.Supply.
func (s *Supply) OnChange(f emulated.ChangeFunc) (remove func()) {
	s.mu.Lock()
	s.subs = append(s.subs, f)
	s.mu.Unlock()
	return func() {}
}

// SetOutput implements power.Supply.
func (s *Supply) SetOutput(ctx context.Context, on bool) error {
	return s.change(ctx, fmt.Sprintf("output %s", map[bool]string{true: "on", false: "off"}[on]), func(st *emulated.State) { st.Output = on })
}

// SetVoltage implements power.Supply.
func (s *Supply) SetVoltage(ctx context.Context, v physic.ElectricPotential) error {
	return s.change(ctx, "voltage "+v.String(), func(st *emulated.State) { st.Voltage = v })
}

// Measure implements power.Supply.
func (s *Supply) Measure(ctx context.Context) (physic.ElectricPotential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.Output {
		return 0, nil
	}
	return s.st.Voltage, nil
}

// Halt implements power.Supply: nominal, output on.
func (s *Supply) Halt() error {
	s.log.Add("supply halt")
	return errors.Join(s.SetVoltage(context.Background(), s.nominal), s.SetOutput(context.Background(), true))
}

func (s *Supply) change(ctx context.Context, what string, edit func(*emulated.State)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.op.Lock()
	defer s.op.Unlock()
	s.mu.Lock()
	old := s.st
	edit(&s.st)
	next, subs := s.st, append([]emulated.ChangeFunc(nil), s.subs...)
	s.mu.Unlock()
	if next == old {
		return nil
	}
	s.log.Add("supply %s", what)
	var errs []error
	for _, f := range subs {
		errs = append(errs, f(ctx, emulated.Change{From: old, To: next}))
	}
	return errors.Join(errs...)
}
