package fault

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/keypad"
	"github.com/poshil/poshil/harness/yamldoc"
)

func init() {
	Register("key_bounce", "a key of the PIN pad bounces (its contact makes and breaks twice, 2 ms apart, before it holds): key 0-9|enter|clear|cancel; the PIN sent is the PIN typed",
		func() Fault { return &KeyFault{kind: keypad.Bounce} })
	Register("key_stuck", "a key of the PIN pad sticks down once pressed; the keypad controller repeats it while later keys are typed: key 0-9|enter|clear|cancel; the repeats never count: the PIN sent is the PIN typed",
		func() Fault { return &KeyFault{kind: keypad.Stuck} })
	Register("key_dead", "a key of the PIN pad never registers: key 0-9|enter|clear|cancel; PIN entry shows one digit fewer (PIN ***), the PIN is never sent short or wrong",
		func() Fault { return &KeyFault{kind: keypad.Dead} })
}

// KeyFault is one faulty key of the emulated PIN pad (key_bounce,
// key_stuck, key_dead). In YAML:
//
//   - key_bounce: {key: "2"}
type KeyFault struct {
	// Key is a digit, or enter, clear or cancel.
	Key string `yaml:"key"`

	kind    keypad.Kind
	mu      sync.Mutex
	restore func()
}

// Needs implements Needer.
func (f *KeyFault) Needs() []Part { return []Part{PartKeypad} }

// keyCode is the pad's key for f.Key.
func (f *KeyFault) keyCode() (byte, bool) {
	switch strings.ToLower(f.Key) {
	case "enter":
		return 'E', true
	case "clear":
		return 'X', true
	case "cancel":
		return 'C', true
	}
	if len(f.Key) == 1 && f.Key[0] >= '0' && f.Key[0] <= '9' {
		return f.Key[0], true
	}
	return 0, false
}

// Check validates the key.
func (f *KeyFault) Check(n *yaml.Node) error {
	if _, ok := f.keyCode(); !ok {
		return yamldoc.At(yamldoc.FindOr(n, "key"), "key_%s.key: want one digit (quoted: \"2\"), enter, clear or cancel, got %q", f.kind, f.Key)
	}
	return nil
}

// Inject implements Fault.
func (f *KeyFault) Inject(ctx context.Context, t Target) error {
	name := "key_" + string(f.kind)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	kp, ok := t.Part(PartKeypad).(*keypad.Keypad)
	if !ok {
		return fmt.Errorf("%s: %w: the bench has no emulated PIN pad", name, ErrUnsupported)
	}
	k, ok := f.keyCode()
	if !ok {
		return fmt.Errorf("%s: key %q: want a digit, enter, clear or cancel", name, f.Key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.restore != nil {
		f.restore()
	}
	f.restore = kp.SetFault(keypad.Fault{Kind: f.kind, Key: k})
	t.Note("keypad: a key %s", f.kind)
	return nil
}

// Clear implements Fault: the key works again (a stuck key comes up at
// the next press). Idempotent.
func (f *KeyFault) Clear(ctx context.Context, t Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.restore != nil {
		f.restore()
		f.restore = nil
	}
	return nil
}
