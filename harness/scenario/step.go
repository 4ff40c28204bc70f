package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Step is one action of a scenario. Exactly one field is set; in YAML a
// step is a one-key mapping such as `- sale: 12.50` or `- pin: wrong`.
type Step struct {
	// Sale starts a sale on the terminal through the ECR.
	Sale *Sale `yaml:"sale"`
	// Insert presents the scenario's card: "chip".
	Insert *string `yaml:"insert"`
	// Remove takes the card out of the reader.
	Remove *bool `yaml:"remove"`
	// Display waits until the terminal shows a text containing this.
	Display *Display `yaml:"display"`
	// PIN enters the card's PIN ("correct") or a wrong one ("wrong") on the
	// terminal's keypad, followed by Enter. The digits never reach evidence.
	PIN *string `yaml:"pin"`
	// Key presses a named key (enter, cancel, clear) or one digit, for a
	// menu such as the application choice.
	Key *string `yaml:"key"`
	// Expect waits for the terminal to report a code (event or result).
	Expect *Report `yaml:"expect"`
	// Swipe swipes the scenario's card through the MSR: `swipe: true`.
	Swipe *bool `yaml:"swipe"`
	// Inject arms a fault now (it fires on its own trigger).
	Inject *fault.Spec `yaml:"inject"`
	// Clear clears the fault with this id.
	Clear *string `yaml:"clear"`
	// Last asks the terminal for its last transaction (after a line cut)
	// and checks the answer.
	Last *Report `yaml:"last"`
	// Wait lets time pass, for faults timed relative to it.
	Wait *time.Duration `yaml:"wait"`
	// Reprint asks the terminal for a copy of its last receipt
	// (`reprint: true`) and waits for the printer to print it.
	Reprint *bool `yaml:"reprint"`
	// Refund starts a refund through the ECR: `refund: 12.50`; the card is
	// then presented as for a sale.
	Refund *Sale `yaml:"refund"`
	// Void voids the scenario's last sale (the operator typed the wrong
	// amount): `void: true`.
	Void *bool `yaml:"void"`
	// Transaction starts a transaction of a named type, e.g. one the
	// terminal does not support: `transaction: {type: preauth, amount: 12.50}`.
	Transaction *Transaction `yaml:"transaction"`
	// Busy waits for the terminal to refuse the last transaction sent
	// with BUSY (`busy: true`): it was not taken, so it is not lost.
	Busy *bool `yaml:"busy"`

	// Line and Col locate the step in its file, for messages.
	Line, Col int `yaml:"-"`
}

// UnmarshalYAML decodes a one-key step strictly and remembers its place.
func (s *Step) UnmarshalYAML(n *yaml.Node) error {
	type step Step
	var p step
	if err := yamldoc.DecodeNode(n, &p); err != nil {
		return err
	}
	*s = Step(p)
	s.Line, s.Col = n.Line, n.Column
	if n.Kind == yaml.MappingNode && len(n.Content) != 2 {
		return yamldoc.At(n, "a step is one action (%s); this one has %d", strings.Join(actions, ", "), len(n.Content)/2)
	}
	if s.Insert != nil && *s.Insert != "chip" {
		return yamldoc.At(n.Content[1], "insert: want chip, got %q", *s.Insert)
	}
	if s.PIN != nil && *s.PIN != "correct" && *s.PIN != "wrong" {
		return yamldoc.At(n.Content[1], "pin: want correct or wrong, got %q", *s.PIN)
	}
	if s.Key != nil {
		if _, err := KeyCode(*s.Key); err != nil {
			return yamldoc.At(n.Content[1], "%v", err)
		}
	}
	if s.Remove != nil && !*s.Remove {
		return yamldoc.At(n.Content[1], "remove: want true (the step takes the card out)")
	}
	if s.Swipe != nil && !*s.Swipe {
		return yamldoc.At(n.Content[1], "swipe: want true (the step swipes the card)")
	}
	if s.Reprint != nil && !*s.Reprint {
		return yamldoc.At(n.Content[1], "reprint: want true (the step asks for a copy of the last receipt)")
	}
	if s.Busy != nil && !*s.Busy {
		return yamldoc.At(n.Content[1], "busy: want true (the step waits for the terminal to refuse the last transaction with BUSY)")
	}
	if s.Void != nil && !*s.Void {
		return yamldoc.At(n.Content[1], "void: want true (the step voids the last sale)")
	}
	if s.Wait != nil && *s.Wait <= 0 {
		return yamldoc.At(n.Content[1], "wait %v: want a duration above zero", *s.Wait)
	}
	return nil
}

// actions are the step keys, for messages.
var actions = []string{"sale", "insert", "remove", "swipe", "display", "pin", "key", "expect", "last", "inject", "clear", "wait", "reprint",
	"refund", "void", "transaction", "busy"}

// Name is the step's action, for logs.
func (s *Step) Name() string {
	switch {
	case s.Sale != nil:
		return "sale " + s.Sale.Amount.String()
	case s.Insert != nil:
		return "insert " + *s.Insert
	case s.Remove != nil:
		return "remove card"
	case s.Display != nil:
		return fmt.Sprintf("wait for display %q", s.Display.Text)
	case s.PIN != nil:
		return "enter " + *s.PIN + " PIN"
	case s.Key != nil:
		return "press " + *s.Key
	case s.Expect != nil:
		return "expect " + string(s.Expect.Outcome)
	case s.Swipe != nil:
		return "swipe card"
	case s.Inject != nil:
		return "inject " + s.Inject.String()
	case s.Clear != nil:
		return "clear " + *s.Clear
	case s.Last != nil:
		return "ask for the last transaction, expect " + string(s.Last.Outcome)
	case s.Wait != nil:
		return "wait " + s.Wait.String()
	case s.Reprint != nil:
		return "reprint the last receipt"
	case s.Refund != nil:
		return "refund " + s.Refund.Amount.String()
	case s.Void != nil:
		return "void the last sale"
	case s.Transaction != nil:
		return "transaction " + s.Transaction.Type
	case s.Busy != nil:
		return "expect BUSY for the last transaction"
	}
	return "empty step"
}

// KeyCode maps a named key onto the ECR key character.
func KeyCode(name string) (byte, error) {
	switch strings.ToLower(name) {
	case "enter":
		return 'E', nil
	case "cancel":
		return 'C', nil
	case "clear":
		return 'X', nil
	}
	if len(name) == 1 && name[0] >= '0' && name[0] <= '9' {
		return name[0], nil // a menu choice; PINs use the pin step
	}
	return 0, fmt.Errorf("key: want enter, cancel, clear or one digit (a menu choice), got %q", name)
}

// Sale is a purchase: `sale: 12.50` or `sale: {amount: 12.50, currency: 978}`.
type Sale struct {
	Amount   Amount `yaml:"amount"`
	Currency string `yaml:"currency"`
}

// UnmarshalYAML accepts an amount alone or the full mapping.
func (s *Sale) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return s.Amount.UnmarshalYAML(n)
	}
	type sale Sale
	var p sale
	if err := yamldoc.DecodeNode(n, &p); err != nil {
		return err
	}
	*s = Sale(p)
	if s.Amount == 0 {
		return yamldoc.At(n, "sale needs an amount")
	}
	if v := yamldoc.Find(n, "currency"); v != nil && !isCurrency(s.Currency) {
		return yamldoc.At(v, "currency %q: want an ISO 4217 numeric code, three digits such as 978", s.Currency)
	}
	return nil
}

// isCurrency reports whether c is an ISO 4217 numeric code (001 to 999).
func isCurrency(c string) bool {
	return len(c) == 3 && strings.Trim(c, "0123456789") == "" && c != "000"
}

// Amount is money in minor units; YAML writes it in major units with up to
// two decimals ("12.50").
type Amount int64

// ParseAmount parses "12.50", "12.5" or "12" into minor units.
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || (hasFrac && frac == "") {
		return 0, fmt.Errorf("amount %q: want major units with up to two decimals, e.g. 12.50", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseUint(whole, 10, 40)
	f, err2 := strconv.ParseUint(frac, 10, 8)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("amount %q: want major units with up to two decimals, e.g. 12.50", s)
	}
	return Amount(w*100 + f), nil
}

// UnmarshalYAML parses an amount scalar.
func (a *Amount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return yamldoc.At(n, "want an amount such as 12.50")
	}
	v, err := ParseAmount(n.Value)
	if err != nil {
		return yamldoc.At(n, "%v", err)
	}
	if v <= 0 {
		return yamldoc.At(n, "amount must be above zero")
	}
	if v > MaxAmount {
		return yamldoc.At(n, "amount %s: more than %s, the twelve digits of minor units a terminal carries (EMV 9F02, ISO 8583 field 4)", n.Value, MaxAmount)
	}
	*a = v
	return nil
}

func (a Amount) String() string { return fmt.Sprintf("%d.%02d", a/100, a%100) }

// Display waits for text: `display: ENTER PIN` or `{text: ..., within: 2s}`.
type Display struct {
	Text   string        `yaml:"text"`
	Within time.Duration `yaml:"within"`
}

// UnmarshalYAML accepts the text alone or the full mapping.
func (d *Display) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.Text = n.Value
	} else {
		type plain Display
		var p plain
		if err := yamldoc.DecodeNode(n, &p); err != nil {
			return err
		}
		*d = Display(p)
	}
	if strings.TrimSpace(d.Text) == "" {
		return yamldoc.At(n, "display needs the text to wait for")
	}
	if n.Kind == yaml.MappingNode {
		return positive(yamldoc.Find(n, "within"), "within", d.Within)
	}
	return nil
}

// Report waits for the terminal to report a code, as an intermediate event
// or as the result: `expect: {outcome: INCORRECT_PIN, tries_left: 2}`.
type Report struct {
	Outcome   outcome.Code  `yaml:"outcome"`
	TriesLeft *int          `yaml:"tries_left"`
	Within    time.Duration `yaml:"within"`
}

// Check requires an outcome.
func (r *Report) Check(n *yaml.Node) error {
	if r.Outcome == "" {
		return yamldoc.At(n, "expect step needs an outcome")
	}
	return join(
		positive(yamldoc.Find(n, "within"), "within", r.Within),
		triesLeft(yamldoc.Find(n, "tries_left"), r.TriesLeft),
	)
}
