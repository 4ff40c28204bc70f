package runner

import (
	"context"

	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/fixtures/keypad"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/verdict"
)

// keypadRig is the bench's emulated PIN pad: a keypad controller on a pty
// whose far end the DUT opens as {keypad}.
type keypadRig struct {
	pty *serial.PTY
	kp  *keypad.Keypad
}

// openKeypad starts the emulated PIN pad when the bench has one.
func (r *Rig) openKeypad() error {
	b := r.Bench
	if b.Keypad == nil || !b.Keypad.Emulated() {
		return nil
	}
	pty, err := serial.NewPTY()
	if err != nil {
		return verdict.Bench("keypad line", err)
	}
	r.keypad = &keypadRig{pty: pty, kp: keypad.New(pty.Port())}
	r.faultParts[fault.PartKeypad] = r.keypad.kp
	return nil
}

// closeKeypad closes its pty.
func (r *Rig) closeKeypad() error {
	if r.keypad == nil {
		return nil
	}
	return r.keypad.pty.Close()
}

// resetKeypad puts the PIN pad at rest before a scenario: no key down,
// no fault, nothing unread on its line.
func (r *Rig) resetKeypad() error {
	if r.keypad == nil {
		return nil
	}
	r.keypad.kp.Reset()
	if err := r.keypad.pty.Flush(); err != nil {
		return verdict.Bench("keypad line", err)
	}
	return nil
}

// keypadPath is what the DUT opens for its PIN pad, or "".
func (r *Rig) keypadPath() string {
	switch {
	case r.keypad != nil:
		return r.keypad.pty.Path()
	case r.Bench.Keypad != nil:
		return r.Bench.Keypad.Port
	}
	return ""
}

// press types keys on the PIN pad; a line that does not take them is the
// bench's fault.
func (k *keypadRig) press(ctx context.Context, keys string) error {
	if err := k.kp.Press(ctx, keys); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return verdict.Bench("keypad line", err)
	}
	return nil
}
