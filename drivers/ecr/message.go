// Package ecr is the framed ECR protocol between an electronic cash register
// (here: the harness) and a payment terminal: STX payload ETX LRC frames,
// ACK/NAK and retransmission over a serial.Port, and the message set. The
// wire format is documented in docs/ecr.md.
//
// It is not a terminal and not a scenario runner; both use it.
package ecr

// Kind names a message. The payload of a frame is the kind, then zero or more
// fields, each preceded by FS (0x1C) and written key=value.
type Kind string

// Messages from the ECR to the terminal.
const (
	Sale   Kind = "SALE"   // amount (minor units), currency (ISO 4217 numeric), ref
	Key    Kind = "KEY"    // keys: digits and/or named keys (see Key* below)
	Last   Kind = "LAST"   // ask for the result of the last transaction
	Status Kind = "STATUS" // ping; answered by READY or BUSY
	Abort  Kind = "ABORT"  // cancel the transaction in progress
)

// Messages from the terminal to the ECR.
const (
	Ready   Kind = "READY"   // idle; version
	Busy    Kind = "BUSY"    // a transaction is in progress
	Display Kind = "DISPLAY" // text: what the terminal shows the cardholder
	Event   Kind = "EVENT"   // code (canonical outcome), tries: an intermediate report
	Result  Kind = "RESULT"  // code, amount, ref, stan, auth, pan (masked), entry, tries, last=1 if answering LAST
)

// Named keys carried in a KEY message's keys field, e.g. keys=1234E.
const (
	KeyEnter  = 'E'
	KeyCancel = 'C'
	KeyClear  = 'X'
)

// Field is one key=value pair of a message.
type Field struct {
	Key, Value string
}

// Message is one decoded ECR message.
type Message struct {
	Kind   Kind
	Fields []Field
}

// Get returns the value of field key and whether it is present.
func (m Message) Get(key string) (string, bool) {
	for _, f := range m.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// With returns m with field key set to value (appended or replaced).
func (m Message) With(key, value string) Message {
	fs := make([]Field, 0, len(m.Fields)+1)
	found := false
	for _, f := range m.Fields {
		if f.Key == key {
			f.Value, found = value, true
		}
		fs = append(fs, f)
	}
	if !found {
		fs = append(fs, Field{key, value})
	}
	return Message{Kind: m.Kind, Fields: fs}
}
