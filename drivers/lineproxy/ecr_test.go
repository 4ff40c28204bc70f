package lineproxy

import (
	"errors"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// TestECRThroughProxy runs the ECR protocol across the proxy: messages
// pass; moderate bit errors are repaired by NAK and retransmission; a cut
// line ends in ErrNoAck.
func TestECRThroughProxy(t *testing.T) {
	b := newBench(t, Options{})
	p := b.e.Proxy()
	naks := make(chan struct{}, 64)
	opt := ecr.LinkOptions{AckTimeout: 50 * time.Millisecond, Retries: 8}
	harness := ecr.NewLink(b.harness, opt)
	defer harness.Close()
	dutOpt := opt
	dutOpt.Tap = func(ev ecr.TapEvent) {
		if ev.Kind == ecr.TapBadFrame {
			select {
			case naks <- struct{}{}:
			default:
			}
		}
	}
	dut := ecr.NewLink(b.dut, dutOpt)
	defer dut.Close()
	sale := ecr.Message{Kind: ecr.Sale, Fields: []ecr.Field{{Key: "amount", Value: "2000"}, {Key: "currency", Value: "978"}}}

	exchange := func() error {
		ctx := within(t, 3*time.Second)
		if err := harness.Send(ctx, sale); err != nil {
			return err
		}
		m, err := dut.Receive(ctx)
		if err != nil {
			return err
		}
		if m.Kind != ecr.Sale {
			t.Fatalf("DUT received %v", m.Kind)
		}
		return nil
	}
	if err := exchange(); err != nil {
		t.Fatalf("clean line: %v", err)
	}

	// About one frame in four damaged: the link repairs it.
	restore, err := p.BitErrors(ToDUT, 0.001, 11)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := exchange(); err != nil {
			t.Fatalf("exchange %d with bit errors: %v", i, err)
		}
	}
	restore()
	if len(naks) == 0 {
		t.Fatal("no frame was damaged: the test proves nothing")
	}

	cut := p.Cut()
	if err := harness.Send(within(t, 3*time.Second), sale); !errors.Is(err, ecr.ErrNoAck) {
		t.Fatalf("send over a cut line: %v, want ErrNoAck", err)
	}
	cut()
	if err := exchange(); err != nil {
		t.Fatalf("line restored: %v", err)
	}
}
