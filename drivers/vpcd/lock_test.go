package vpcd

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/lease"
)

// TestSlotLockedBySpelling: a slot reserved as 127.0.0.1:P is busy as
// localhost:P and 127.0.0.2:P (one vpcd port), and the error names the
// holder's pid.
func TestSlotLockedBySpelling(t *testing.T) {
	v := newFakeVPCD(t)
	_, port, _ := net.SplitHostPort(v.addr())
	res, err := Reserve(context.Background(), "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	for _, host := range []string{"localhost", "127.0.0.2"} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := Insert(ctx, net.JoinHostPort(host, port), &recCard{})
		cancel()
		if !errors.Is(err, ErrSlotBusy) || !errors.Is(err, lease.ErrBusy) {
			t.Fatalf("Insert as %s:%s while reserved as 127.0.0.1: %v, want ErrSlotBusy", host, port, err)
		}
		if !strings.Contains(err.Error(), "held by pid") {
			t.Errorf("%v: does not name the holder", err)
		}
	}
}

// TestHeld: a reservation under a lease that holds the slot inserts
// without taking the lock again; a lease without it is refused.
func TestHeld(t *testing.T) {
	v := newFakeVPCD(t)
	ctx := context.Background()
	k, err := lease.VPCDSlot(ctx, v.addr())
	if err != nil {
		t.Fatal(err)
	}
	l, err := lease.Try(k)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	res, err := Held(ctx, v.addr(), l)
	if err != nil {
		t.Fatal(err)
	}
	s, err := res.Insert(ctx, &recCard{})
	if err != nil {
		t.Fatalf("Insert under the lease: %v", err)
	}
	_ = s.Remove()
	res.Release()
	if !l.Holds(k) {
		t.Error("Release of a Held reservation dropped the owner's lease")
	}
	other, _ := lease.Try(lease.Key{Name: "unrelated"})
	defer other.Release()
	if _, err := Held(ctx, v.addr(), other); !errors.Is(err, ErrSlotBusy) {
		t.Errorf("Held under a lease without the slot: %v, want ErrSlotBusy", err)
	}
}
