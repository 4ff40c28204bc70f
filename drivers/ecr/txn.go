package ecr

// Transactions besides the sale, from the ECR to the terminal.
const (
	// Refund credits the card: amount, currency, ref; the card is
	// presented as for a sale.
	Refund Kind = "REFUND"
	// Void cancels an earlier sale (the operator typed the wrong amount):
	// ref (the void's own), orig (the ref of the sale it voids).
	Void Kind = "VOID"
)

// StartsTransaction reports whether m, sent to the terminal, starts a
// transaction: SALE, REFUND, VOID, or any other kind that carries a ref
// (a transaction type the terminal may not support, which it must refuse
// with a RESULT NOT_SUPPORTED). KEY, LAST, STATUS and ABORT carry none.
func StartsTransaction(m Message) bool {
	switch m.Kind {
	case Sale, Refund, Void:
		return true
	case Key, Last, Status, Abort:
		return false
	}
	_, ok := m.Get("ref")
	return ok
}
