package lineproxy

import (
	"context"
	"errors"
	"fmt"

	"github.com/poshil/poshil/drivers/serial"
)

// Emulated is the ECR line of the emulated bench with a Proxy in it: two
// pseudo-terminal pairs back to back.
//
//	harness ECR link -> pty A master | A slave <-proxy-> B master | B slave <- DUT
//
// The harness keeps using a pty master (HarnessPort), exactly as without
// the proxy; the DUT opens DUTPath; the proxy holds A's slave (opened with
// serial.Open) and B's master.
type Emulated struct {
	a, b  *serial.PTY
	far   serial.Port // NewJoined's far port, instead of b
	slave serial.Port
	proxy *Proxy
}

// NewEmulated opens the two pty pairs and starts the proxy between them
// until Close or until ctx ends.
func NewEmulated(ctx context.Context, opt Options) (*Emulated, error) {
	a, err := serial.NewPTY()
	if err != nil {
		return nil, fmt.Errorf("lineproxy: harness side: %w", err)
	}
	b, err := serial.NewPTY()
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("lineproxy: DUT side: %w", err)
	}
	slave, err := serial.Open(a.Path(), serial.Options{})
	if err != nil {
		a.Close()
		b.Close()
		return nil, fmt.Errorf("lineproxy: harness side: %w", err)
	}
	e := &Emulated{a: a, b: b, slave: slave, proxy: New(slave, b.Port(), opt)}
	if err := e.proxy.Start(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// NewJoined puts a Proxy between a harness pty pair and far, the port
// the DUT's line ends in (a remote port exported by ser2net, a USB
// adapter), and starts it until Close or ctx ends: the harness uses a pty
// master (HarnessPort) as on the emulated bench, and line faults act on
// far's line. The Emulated owns far (Close closes it); DUTPath is "".
func NewJoined(ctx context.Context, far serial.Port, opt Options) (*Emulated, error) {
	a, err := serial.NewPTY()
	if err != nil {
		return nil, fmt.Errorf("lineproxy: harness side: %w", err)
	}
	slave, err := serial.Open(a.Path(), serial.Options{})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("lineproxy: harness side: %w", err)
	}
	e := &Emulated{a: a, far: far, slave: slave, proxy: New(slave, far, opt)}
	if err := e.proxy.Start(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// HarnessPort is the port the harness's ECR link uses (pty A's master).
func (e *Emulated) HarnessPort() serial.Port { return e.a.Port() }

// DUTPath is the device the DUT opens as its ECR line (pty B's slave),
// e.g. /dev/pts/7.
func (e *Emulated) DUTPath() string {
	if e.b == nil {
		return ""
	}
	return e.b.Path()
}

// Proxy is the proxy in the line, for faults and hooks.
func (e *Emulated) Proxy() *Proxy { return e.proxy }

// Flush drops every byte in flight on the line: written by the harness
// and not yet read by the proxy, held or queued in the proxy, written to
// the DUT's side and not yet read by the DUT (e.g. across a DUT restart).
func (e *Emulated) Flush() error {
	e.proxy.Flush()
	if e.b == nil {
		return e.a.Flush()
	}
	return errors.Join(e.a.Flush(), e.b.Flush())
}

// Close stops the proxy and closes both pty pairs. Closing twice is not
// an error.
func (e *Emulated) Close() error {
	perr := e.proxy.Close()
	if e.b == nil {
		return errors.Join(perr, e.slave.Close(), e.a.Close(), e.far.Close())
	}
	return errors.Join(perr, e.slave.Close(), e.a.Close(), e.b.Close())
}
