package vpcd

import (
	"context"
	"fmt"
	"sync"

	"github.com/poshil/poshil/harness/lease"
)

// Reservation holds a vpcd slot for this process, with or without a card
// in it: no other poshil card (of this host) can be inserted until
// Release. A bench keeps its slot this way across a scenario (insert,
// pull, insert another card, check the reader is empty) without another
// test's card slipping in between.
type Reservation struct {
	addr   string
	unlock func()

	mu       sync.Mutex
	card     *Slot
	released bool
}

// Reserve takes the slot at addr, waiting until no other poshil card holds
// it or ctx ends (ErrSlotBusy).
func Reserve(ctx context.Context, addr string) (*Reservation, error) {
	unlock, err := lockSlot(ctx, addr)
	if err != nil {
		return nil, err
	}
	return &Reservation{addr: addr, unlock: unlock}, nil
}

// Held is a Reservation of the slot at addr under a lease the caller
// already holds (a bench's lease, taken with its other resources in one
// go): it fails with ErrSlotBusy unless l holds the slot's key. Release
// removes the card but leaves l to its owner.
func Held(ctx context.Context, addr string, l *lease.Lease) (*Reservation, error) {
	k, err := lease.VPCDSlot(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", addr, ErrUnreachable, err)
	}
	if !l.Holds(k) {
		return nil, fmt.Errorf("%s: %w: the lease does not hold %s", addr, ErrSlotBusy, k)
	}
	return &Reservation{addr: addr, unlock: func() {}}, nil
}

// Addr is the reserved slot's address.
func (r *Reservation) Addr() string { return r.addr }

// Insert plugs card into the reserved slot, as the package-level Insert
// but without waiting: a card still in the slot is ErrSlotBusy. The slot
// stays reserved after the card is removed.
func (r *Reservation) Insert(ctx context.Context, card Card) (*Slot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		return nil, fmt.Errorf("%s: %w: reservation released", r.addr, ErrSlotBusy)
	}
	if r.card != nil {
		select {
		case <-r.card.Done():
		default:
			return nil, fmt.Errorf("%s: %w: remove the card first", r.addr, ErrSlotBusy)
		}
	}
	s, err := dial(ctx, r.addr, card, nil)
	if err != nil {
		return nil, err
	}
	r.card = s
	return s, nil
}

// Release removes the card still in the slot, if any, and frees the slot.
// It is idempotent.
func (r *Reservation) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		return
	}
	r.released = true
	if r.card != nil {
		_ = r.card.Remove()
	}
	r.unlock()
}
