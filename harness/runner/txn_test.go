package runner

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// A later transaction is sent only once the terminal is READY again: this
// terminal takes 300 ms (the card's removal) to get back to READY after
// its RESULT and answers BUSY to a sale sent meanwhile, so a runner that
// did not wait would get BUSY and no RESULT for the second sale.
func TestLaterTransactionWaitsForReady(t *testing.T) {
	t.Parallel()
	const doc = `name: two sales back to back
steps:
  - sale: 1.00
  - sale: 2.00
expect:
  outcome: APPROVED
`
	var idle atomic.Bool
	idle.Store(true)
	link := newFakeLink(func(f *fakeLink, m ecr.Message) {
		if m.Kind != ecr.Sale {
			return
		}
		if !idle.Load() {
			f.say(0, ecr.Message{Kind: ecr.Busy})
			return
		}
		idle.Store(false)
		f.say(0, result(m, "APPROVED"))
		time.AfterFunc(300*time.Millisecond, func() {
			idle.Store(true)
			f.say(0, ecr.Message{Kind: ecr.Ready})
		})
	})
	ru, ctx := fakeRun(t, doc, link)
	ru.steps(t, ctx)
	if code, err := ru.checkFinal(ctx); err != nil || code != "APPROVED" {
		t.Errorf("second sale: %s %v (sent while the terminal was busy?)", code, err)
	}
}
