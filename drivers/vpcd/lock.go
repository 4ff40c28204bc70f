package vpcd

import (
	"context"
	"errors"
	"fmt"

	"github.com/poshil/poshil/harness/lease"
)

// lockSlot takes the host-wide lease of a slot so that two poshil cards
// are never queued on one vpcd port (vpcd accepts one card at a time and
// would silently hold the second connection until the first is removed).
// The slot is keyed by the real port, not its spelling (see
// lease.VPCDSlot). It waits until the lease is free or ctx ends
// (ErrSlotBusy, wrapping lease.ErrBusy with the holder's pid).
func lockSlot(ctx context.Context, addr string) (func(), error) {
	k, err := lease.VPCDSlot(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", addr, ErrUnreachable, err)
	}
	l, err := lease.Acquire(ctx, k)
	if errors.Is(err, lease.ErrBusy) {
		return nil, fmt.Errorf("%s: %w: %w", addr, ErrSlotBusy, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	return l.Release, nil
}
