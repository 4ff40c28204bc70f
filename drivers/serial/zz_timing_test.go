package serial

import (
	"context"
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	_, s := pair(t)
	var worst time.Duration
	for i := 0; i < 100; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		st := time.Now()
		s.Read(ctx, make([]byte, 8))
		cancel()
		if d := time.Since(st); d > worst {
			worst = d
		}
	}
	t.Logf("worst %v", worst)
}
