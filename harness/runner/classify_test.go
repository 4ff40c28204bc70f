package runner

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

func TestClassify(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name   string
		parent context.Context
		err    error
		want   verdict.Class
	}{
		{"no error", context.Background(), nil, verdict.Pass},
		{"firmware", context.Background(), errors.New("expected APPROVED, got DECLINED"), verdict.Fail},
		{"bench", context.Background(), fmt.Errorf("step 2: %w", verdict.Bench("pcsc", errors.New("gone"))), verdict.BenchError},
		{"invalid", context.Background(), fmt.Errorf("%w: no such key", yamldoc.ErrInvalid), verdict.Invalid},
		{"aborted", cancelled, errors.New("no RESULT"), verdict.BenchError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, reason := classify(tc.parent, tc.err); got != tc.want {
				t.Errorf("classify = %s (%s), want %s", got, reason, tc.want)
			}
		})
	}
}
