package oracle

import (
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// A refund, a void and an unsupported type are transactions of their own:
// each RESULT goes to its own request, and the last one's is the final
// result.
func TestTransactionsBeyondTheSale(t *testing.T) {
	t0 := time.Now()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Millisecond) }
	msg := func(k ecr.Kind, kv ...string) ecr.Message {
		m := ecr.Message{Kind: k}
		for i := 0; i+1 < len(kv); i += 2 {
			m = m.With(kv[i], kv[i+1])
		}
		return m
	}
	l := Log{Start: t0, Entries: []Entry{
		{At: at(1), Dir: ToDUT, Msg: msg(ecr.Sale, "ref", "P1")},
		{At: at(2), Dir: FromDUT, Msg: msg(ecr.Result, "code", "APPROVED", "ref", "P1")},
		{At: at(3), Dir: ToDUT, Msg: msg(ecr.Void, "ref", "P2", "orig", "P1")},
		{At: at(4), Dir: FromDUT, Msg: msg(ecr.Result, "code", "APPROVED", "ref", "P2", "type", "void")},
		{At: at(5), Dir: ToDUT, Msg: msg(ecr.Refund, "ref", "P3")},
		{At: at(6), Dir: FromDUT, Msg: msg(ecr.Result, "code", "APPROVED", "ref", "P3", "type", "refund")},
		{At: at(7), Dir: ToDUT, Msg: msg("PREAUTH", "ref", "P4")},
		{At: at(8), Dir: FromDUT, Msg: msg(ecr.Result, "code", "NOT_SUPPORTED", "ref", "P4", "type", "preauth")},
	}}
	sales := l.Sales()
	if len(sales) != 4 {
		t.Fatalf("%d transactions, want 4", len(sales))
	}
	for i, s := range sales {
		if len(s.Results) != 1 {
			t.Errorf("transaction %s has %d RESULTs, want 1", s.Ref(), len(s.Results))
		}
		if want := []string{"P1", "P2", "P3", "P4"}[i]; s.Ref() != want {
			t.Errorf("transaction %d is %s, want %s", i+1, s.Ref(), want)
		}
	}
	if f, ok := l.Final(); !ok || f.Msg.Kind != ecr.Result {
		t.Fatalf("no final result")
	} else if code, _ := f.Msg.Get("code"); code != "NOT_SUPPORTED" {
		t.Errorf("final %s, want NOT_SUPPORTED", code)
	}
}
