package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/verdict"
)

// BenchKeys lists the lease keys of what b uses (see package lease), for
// `poshil benches` to probe.
func BenchKeys(ctx context.Context, b *bench.Bench) ([]lease.Key, error) {
	return benchKeys(ctx, b)
}

// restoreLeft returns a bench that a dead run left dirty (it held the
// bench and ended without releasing it: kill -9, a lost host) to its safe
// state before anything runs, and says which bench, whose run, and what
// was restored. A part that cannot be restored is a bench error.
func (r *Rig) restoreLeft(ctx context.Context, left []lease.Left) error {
	var done []string
	if err := r.resetParts(); err != nil {
		return err
	}
	if r.parts.Supply != nil {
		done = append(done, "supply on at nominal")
	}
	if r.parts.Network != nil || r.host != nil {
		done = append(done, "network and host faults cleared")
	}
	if r.parts.ECR != nil {
		if err := r.parts.ECR.Flush(); err != nil {
			return verdict.Bench("ecr line", err)
		}
		done = append(done, "ECR line up and flushed")
	}
	if r.parts.Reader != nil {
		wctx, cancel := context.WithTimeout(ctx, emptyBound)
		defer cancel()
		if err := r.parts.Reader.WaitEmpty(wctx); err != nil {
			return verdict.Bench("card reader "+r.Bench.Card.Reader, fmt.Errorf("left dirty by a killed run, a card is still in the reader: %w", err))
		}
		done = append(done, "card slot empty")
	}
	var runs []string
	for _, l := range left {
		if s := l.Holder.RunString(); !slices.Contains(runs, s) {
			runs = append(runs, s)
		}
	}
	r.notice(fmt.Sprintf("poshil: bench %s was left dirty by %s, which ended without releasing it; restored its safe state first: %s",
		r.Bench.Name, strings.Join(runs, ", "), strings.Join(done, ", ")))
	return nil
}
