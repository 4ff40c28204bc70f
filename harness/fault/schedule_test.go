package fault

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
)

// counting is a fault that counts injections and clears.
type counting struct {
	mu              sync.Mutex
	injects, clears int
	injected        chan struct{}
	cleared         chan struct{}
}

func newCounting() *counting {
	return &counting{injected: make(chan struct{}, 16), cleared: make(chan struct{}, 16)}
}

func (c *counting) Inject(context.Context, Target) error {
	c.mu.Lock()
	c.injects++
	c.mu.Unlock()
	c.injected <- struct{}{}
	return nil
}

func (c *counting) Clear(context.Context, Target) error {
	c.mu.Lock()
	c.clears++
	c.mu.Unlock()
	c.cleared <- struct{}{}
	return nil
}

// Instance implements Instancer: the test watches the armed fault itself.
func (c *counting) Instance() Fault { return c }

func (c *counting) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.injects, c.clears
}

// noteTarget is a Target with no parts that keeps notes.
type noteTarget struct {
	mu    sync.Mutex
	notes []string
}

func (t *noteTarget) Card() CardSide         { return nil }
func (t *noteTarget) Host() *acquirer.Server { return nil }
func (t *noteTarget) DUT() DUTSide           { return nil }
func (t *noteTarget) Part(Part) any          { return nil }
func (t *noteTarget) Note(f string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notes = append(t.notes, fmt.Sprintf(f, a...))
}

func TestScheduleTriggers(t *testing.T) {
	ctx := context.Background()
	verify := byte(0x20)
	tests := []struct {
		name   string
		when   Trigger
		events []Event
		want   int // injections after the events
	}{
		{"immediate", Trigger{}, nil, 1},
		{"apdu by command", Trigger{APDU: &APDUMatch{Command: "VERIFY"}}, []Event{{Kind: EventAPDU, INS: 0xA4}, {Kind: EventAPDU, INS: verify}}, 1},
		{"apdu nth", Trigger{APDU: &APDUMatch{INS: "20", Nth: 2}}, []Event{{Kind: EventAPDU, INS: verify}}, 0},
		{"apdu nth reached", Trigger{APDU: &APDUMatch{INS: "20", Nth: 2}}, []Event{{Kind: EventAPDU, INS: verify}, {Kind: EventAPDU, INS: 0xA4}, {Kind: EventAPDU, INS: verify}}, 1},
		{"mti", Trigger{MTI: "0200"}, []Event{{Kind: EventMTI, MTI: "0400"}, {Kind: EventMTI, MTI: "0200"}, {Kind: EventMTI, MTI: "0200"}}, 1},
		{"ecr display text", Trigger{ECR: "DISPLAY", Text: "enter pin"}, []Event{{Kind: EventECR, ECR: "DISPLAY", Text: "INSERT CARD"}, {Kind: EventECR, ECR: "DISPLAY", Text: "ENTER PIN"}}, 1},
		{"bytes", Trigger{Bytes: 100}, []Event{{Kind: EventBytes, Bytes: 99}, {Kind: EventBytes, Bytes: 120}}, 1},
		{"wrong kind", Trigger{MTI: "0200"}, []Event{{Kind: EventECR, ECR: "0200"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCounting()
			s := NewSchedule(ctx, &noteTarget{})
			if err := s.Arm(ctx, &Spec{Name: "c", ID: "c", Fault: f, When: tt.when}); err != nil {
				t.Fatal(err)
			}
			for _, ev := range tt.events {
				s.Notify(ev)
			}
			if inj, _ := f.counts(); inj != tt.want {
				t.Fatalf("injections %d, want %d", inj, tt.want)
			}
			if err := s.ClearAll(ctx); err != nil {
				t.Fatal(err)
			}
			if _, clr := f.counts(); clr != tt.want {
				t.Errorf("clears %d, want %d (clear only what fired, once)", clr, tt.want)
			}
			s.Notify(Event{Kind: EventMTI, MTI: "0200"})
			if inj, _ := f.counts(); inj != tt.want {
				t.Errorf("a fault fired after ClearAll")
			}
		})
	}
}

func TestScheduleTimedAndDuration(t *testing.T) {
	ctx := context.Background()
	f := newCounting()
	s := NewSchedule(ctx, &noteTarget{})
	start := time.Now()
	if err := s.Arm(ctx, &Spec{Name: "c", ID: "c", Fault: f, When: Trigger{After: 20 * time.Millisecond}, For: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.injected:
	case <-time.After(5 * time.Second):
		t.Fatal("timed fault never fired")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("fired after %v, before its time", d)
	}
	select {
	case <-f.cleared:
	case <-time.After(5 * time.Second):
		t.Fatal("fault with for: was never cleared")
	}
	if err := s.ClearAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, clr := f.counts(); clr != 1 {
		t.Errorf("cleared %d times, want once", clr)
	}
}

func TestScheduleClearByID(t *testing.T) {
	ctx := context.Background()
	f := newCounting()
	s := NewSchedule(ctx, &noteTarget{})
	if err := s.Arm(ctx, &Spec{Name: "c", ID: "mine", Fault: f}); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx, "other"); err == nil {
		t.Error("clearing an unknown id succeeded")
	}
	if err := s.Clear(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	_ = s.ClearAll(ctx)
	if inj, clr := f.counts(); inj != 1 || clr != 1 {
		t.Errorf("inject %d clear %d", inj, clr)
	}
}

// TestSchedulePendingUntil: a fired fault with a timed Clear is pending
// until its `for` ends; one waiting for its trigger, or cleared, is not.
func TestSchedulePendingUntil(t *testing.T) {
	ctx := context.Background()
	s := NewSchedule(ctx, &noteTarget{})
	if err := s.Arm(ctx, &Spec{Name: "w", ID: "w", Fault: newCounting(), When: Trigger{ECR: "RESULT"}, For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if due := s.PendingUntil(); !due.IsZero() {
		t.Fatalf("a fault waiting for its trigger is pending until %v", due)
	}
	armed := time.Now()
	if err := s.Arm(ctx, &Spec{Name: "c", ID: "c", Fault: newCounting(), For: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if due := s.PendingUntil(); due.Before(armed.Add(300*time.Millisecond)) || due.After(time.Now().Add(300*time.Millisecond)) {
		t.Fatalf("PendingUntil = %v, want 300ms after the injection (%v)", due, armed)
	}
	if err := s.Clear(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if due := s.PendingUntil(); !due.IsZero() {
		t.Fatalf("a cleared fault is pending until %v", due)
	}
	if err := s.ClearAll(ctx); err != nil {
		t.Fatal(err)
	}
}
