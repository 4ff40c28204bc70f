// Package oracle judges what a terminal said during a scenario against the
// scenario's expectations. It holds a log of timestamped observations (the
// ECR messages each way, the frames the terminal sent again, what the
// emulated host received), attributes each report to the sale it answers,
// and checks the whole log: the final result of the last sale (outcome,
// tries, fields, time), never over every report, one RESULT per sale,
// retransmissions and host counts. Each failing check names the place in
// the scenario file of the expectation it judges.
//
// It is pure: no PC/SC, no processes, no clocks. The runner builds the log
// and decides when to judge (after the settle window); tests write logs by
// hand.
package oracle

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Dir is the direction of a logged message.
type Dir int

// Directions, seen from the terminal (DUT).
const (
	ToDUT   Dir = iota + 1 // the harness (ECR) to the terminal
	FromDUT                // the terminal to the harness
)

// Entry is one ECR message of a scenario, with when it crossed the line.
type Entry struct {
	At  time.Time
	Dir Dir
	Msg ecr.Message
	// Step is the scenario step that sent a message to the DUT (line and
	// column; zero for messages from the DUT).
	Step yamldoc.Pos
}

// Log is what the oracle judges: one scenario's conversation and the
// bench's side of it.
type Log struct {
	// Start is when the first step acted; Expect.Within counts from it,
	// and quoted messages are timed from it.
	Start time.Time
	// Entries are the messages both ways; Sales orders them by time.
	Entries []Entry
	// Retransmits counts frames the DUT sent again (ECR duplicates).
	Retransmits int
	// Host is the emulated host's side, nil on a bench without one.
	Host *Host
	// Receipts are what the bench's emulated printer printed, raw.
	Receipts []Receipt
	// PAN is the scenario card's PAN, for the receipt rule ("" skips it).
	PAN string
}

// Host is what the emulated host saw.
type Host struct {
	// In lists the MTIs of the messages the host received, in order.
	In []string
	// PANs lists the card number of each authorisation request (0100,
	// 0200) the host received, in order ("" when it had none).
	PANs []string
	// Net is the card's net debit on the host's ledger in minor units,
	// nil when unknown (no card profile).
	Net *int64
	// TLS says the host serves TLS only; Plain counts the connections
	// to it that began in plain TCP (each one fails the scenario).
	TLS   bool
	Plain int
}

// Sale is one sale of a scenario and the terminal's answers to it.
type Sale struct {
	// N numbers the sales from 1 in the order they were sent; 0 is the
	// reports that came before any sale (or a scenario without one).
	N int
	// Request is the SALE message (zero for N = 0).
	Request Entry
	// Results are the RESULTs that answer the sale; more than one is a
	// FAIL. Answers to LAST are not among them.
	Results []Entry
	// Answers are RESULTs with last=1 (answers to a LAST query) that
	// stand for this sale.
	Answers []Entry
}

// Ref is the sale's reference (SALE ref field), or "" for N = 0.
func (s Sale) Ref() string {
	ref, _ := s.Request.Msg.Get("ref")
	return ref
}

// Final is the sale's final result: its RESULT, or when the line lost it,
// the latest answer to LAST that stands for it (the ECR's way to learn
// the truth). ok is false when the terminal reported neither.
func (s Sale) Final() (e Entry, ok bool) {
	if n := len(s.Results); n > 0 {
		return s.Results[n-1], true
	}
	if n := len(s.Answers); n > 0 {
		return s.Answers[n-1], true
	}
	return Entry{}, false
}

// name is how messages refer to the sale.
func (s Sale) name() string {
	if s.N == 0 {
		return "before any sale"
	}
	if ref := s.Ref(); ref != "" {
		return "sale " + ref
	}
	return fmt.Sprintf("sale %d", s.N)
}

// ordered returns the entries sorted by time (stable: equal times keep
// their order).
func (l Log) ordered() []Entry {
	out := slices.Clone(l.Entries)
	slices.SortStableFunc(out, func(a, b Entry) int { return a.At.Compare(b.At) })
	return out
}

// Sales attributes every RESULT from the DUT to the sale it answers: the
// sale whose ref it carries, else the latest sale sent before it. A
// RESULT with last=1 answers a LAST query: it stands for a sale (same
// rule) but is not a second result. Reports before any sale go to sale 0,
// which is listed only when it has some or there is no sale at all.
func (l Log) Sales() []Sale {
	sales := []Sale{{N: 0}}
	for _, e := range l.ordered() {
		switch {
		case e.Dir == ToDUT && ecr.StartsTransaction(e.Msg):
			sales = append(sales, Sale{N: len(sales), Request: e})
		case e.Dir == FromDUT && e.Msg.Kind == ecr.Result:
			i := len(sales) - 1
			if ref, ok := e.Msg.Get("ref"); ok && ref != "" {
				for j := len(sales) - 1; j > 0; j-- {
					if sales[j].Ref() == ref {
						i = j
						break
					}
				}
			}
			if isAnswer(e.Msg) {
				sales[i].Answers = append(sales[i].Answers, e)
			} else {
				sales[i].Results = append(sales[i].Results, e)
			}
		}
	}
	if len(sales) > 1 && len(sales[0].Results) == 0 && len(sales[0].Answers) == 0 {
		sales = sales[1:]
	}
	return sales
}

// Final is the final result of the scenario's last sale (see Sale.Final).
func (l Log) Final() (Entry, bool) {
	sales := l.Sales()
	return sales[len(sales)-1].Final()
}

// isAnswer tells an answer to LAST from a sale's RESULT.
func isAnswer(m ecr.Message) bool {
	last, _ := m.Get("last")
	return last == "1"
}

// isReport is an EVENT or a RESULT: a message that carries an outcome.
func isReport(e Entry) bool {
	return e.Dir == FromDUT && (e.Msg.Kind == ecr.Event || e.Msg.Kind == ecr.Result)
}

// quotedFields are the fields a quote shows: never card data.
var quotedFields = []string{"code", "unmapped", "tries", "ref", "stan", "auth", "entry", "last", "type"}

// quoteEntry renders a report for a verdict: its kind, the fields that say what
// it was (no PAN or track data) and when it came, counted from start.
func quoteEntry(e Entry, start time.Time) string {
	var b strings.Builder
	b.WriteString(string(e.Msg.Kind))
	for _, k := range quotedFields {
		if v, ok := e.Msg.Get(k); ok {
			if k == "unmapped" {
				v = fmt.Sprintf("%q", v)
			}
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	if !start.IsZero() {
		fmt.Fprintf(&b, " at +%v", e.At.Sub(start).Round(time.Millisecond))
	}
	return b.String()
}
