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
		func() Fault { return &KeyBounce{} })
	Register("key_stuck", "a key of the PIN pad sticks down once pressed; the keypad controller repeats it while later keys are typed: key 0-9|enter|clear|cancel; the repeats never count: the PIN sent is the PIN typed",
		func() Fault { return &KeyStuck{} })
	Register("key_dead", "a key of the PIN pad never registers: key 0-9|enter|clear|cancel; PIN entry shows one digit fewer (PIN ***), the PIN is never sent short or wrong",
		func() Fault { return &KeyDead{} })
}

// KeyBounce is a key of the emulated PIN pad that bounces. In YAML:
//
//   - key_bounce: {key: "2"}
type KeyBounce struct {
	KeyFault `yaml:",inline"`
}

// KeyStuck is a key of the emulated PIN pad that sticks down once pressed.
// In YAML:
//
//   - key_stuck: {key: "4"}
type KeyStuck struct {
	KeyFault `yaml:",inline"`
}

// KeyDead is a key of the emulated PIN pad that never registers. In YAML:
//
//   - key_dead: {key: "3"}
type KeyDead struct {
	KeyFault `yaml:",inline"`
}

// Inject implements Fault.
func (f *KeyBounce) Inject(ctx context.Context, t Target) error {
	return f.inject(ctx, t, keypad.Bounce)
}

// Inject implements Fault.
func (f *KeyStuck) Inject(ctx context.Context, t Target) error {
	return f.inject(ctx, t, keypad.Stuck)
}

// Inject implements Fault.
func (f *KeyDead) Inject(ctx context.Context, t Target) error {
	return f.inject(ctx, t, keypad.Dead)
}

// Check validates the key.
func (f *KeyBounce) Check(n *yaml.Node) error { return f.check(n, keypad.Bounce) }

// Check validates the key.
func (f *KeyStuck) Check(n *yaml.Node) error { return f.check(n, keypad.Stuck) }

// Check validates the key.
func (f *KeyDead) Check(n *yaml.Node) error { return f.check(n, keypad.Dead) }

// KeyFault is what the key faults share: the key, and the fault's layer
// on the PIN pad.
type KeyFault struct {
	// Key is a digit, or enter, clear or cancel.
	Key string `yaml:"key"`

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

// check validates the key.
func (f *KeyFault) check(n *yaml.Node, kind keypad.Kind) error {
	if _, ok := f.keyCode(); !ok {
		return yamldoc.At(yamldoc.FindOr(n, "key"), "key_%s.key: want one digit (quoted: \"2\"), enter, clear or cancel, got %q", kind, f.Key)
	}
	return nil
}

// inject adds the fault's layer on the bench's PIN pad.
func (f *KeyFault) inject(ctx context.Context, t Target, kind keypad.Kind) error {
	name := "key_" + string(kind)
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
	f.restore = kp.SetFault(keypad.Fault{Kind: kind, Key: k})
	t.Note("keypad: a key %s", kind)
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
