package scenario

import (
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

// Transaction is a transaction of a named type sent over the ECR as a
// message of that kind (`type: preauth` sends PREAUTH amount=... ref=...),
// for types the terminal may not support: `transaction: {type: preauth,
// amount: 12.50}`. The amount is optional.
type Transaction struct {
	Type     string `yaml:"type"`
	Amount   Amount `yaml:"amount"`
	Currency string `yaml:"currency"`
}

// typeName is an ECR message kind written in lower case.
var typeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// notTransactions are ECR messages to the terminal that start no
// transaction: a transaction step cannot send them.
var notTransactions = []string{"key", "last", "status", "abort"}

// Check requires a type that is an ECR message kind and not one of the
// messages that start no transaction.
func (t *Transaction) Check(n *yaml.Node) error {
	t.Type = strings.ToLower(strings.TrimSpace(t.Type))
	at := yamldoc.FindOr(n, "type")
	switch {
	case t.Type == "":
		return yamldoc.At(at, "transaction needs a type, e.g. type: preauth")
	case !typeName.MatchString(t.Type):
		return yamldoc.At(at, "transaction type %q: want a word of letters, digits and _ (it is sent as the ECR message kind)", t.Type)
	case slices.Contains(notTransactions, t.Type):
		return yamldoc.At(at, "transaction type %q is an ECR message that starts no transaction (%s)", t.Type, strings.Join(notTransactions, ", "))
	}
	if v := yamldoc.Find(n, "currency"); v != nil && !isCurrency(t.Currency) {
		return yamldoc.At(v, "currency %q: want an ISO 4217 numeric code, three digits such as 978", t.Currency)
	}
	return nil
}

// checkTransactions: a void needs a sale before it to void.
func checkTransactions(steps []Step, n *yaml.Node) error {
	sale := false
	for i, st := range steps {
		switch {
		case st.Sale != nil:
			sale = true
		case st.Void != nil && !sale:
			return yamldoc.At(yamldoc.FindOr(yamldoc.Item(n, i), "void"), "void: no sale step before it to void")
		}
	}
	return nil
}
