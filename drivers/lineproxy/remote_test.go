package lineproxy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/drivers/serial/ser2nettest"
)

// TestECRThroughSer2net: the DUT's ECR line is exported by a real ser2net
// (RFC 2217) as on a remote bench; the proxy joins the harness's pty to
// that remote port. ECR messages cross both ways, and a line cut in the
// proxy stops them (the harness's send ends in ErrNoAck) until restored.
//
//	harness link -> pty A | A slave <-proxy-> rfc2217://ser2net -> pty C slave | C master <- DUT link
func TestECRThroughSer2net(t *testing.T) {
	a, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := ser2nettest.Start(t, ser2nettest.Export{Device: c.Path(), RFC2217: true})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	remote, err := serial.OpenAddr(ctx, s.Addr(0), serial.Options{Baud: 115200})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	slave, err := serial.Open(a.Path(), serial.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	p := New(slave, remote, Options{})
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	opt := ecr.LinkOptions{AckTimeout: 100 * time.Millisecond, Retries: 3}
	harness := ecr.NewLink(a.Port(), opt)
	defer harness.Close()
	dut := ecr.NewLink(c.Port(), opt)
	defer dut.Close()
	sale := ecr.Message{Kind: ecr.Sale, Fields: []ecr.Field{{Key: "amount", Value: "2000"}, {Key: "currency", Value: "978"}}}
	result := ecr.Message{Kind: ecr.Result, Fields: []ecr.Field{{Key: "outcome", Value: "APPROVED"}}}
	exchange := func() error {
		ctx := within(t, 3*time.Second)
		if err := harness.Send(ctx, sale); err != nil {
			return err
		}
		if m, err := dut.Receive(ctx); err != nil || m.Kind != ecr.Sale {
			t.Fatalf("DUT received %v %v", m.Kind, err)
		}
		if err := dut.Send(ctx, result); err != nil {
			return err
		}
		if m, err := harness.Receive(ctx); err != nil || m.Kind != ecr.Result {
			t.Fatalf("harness received %v %v", m.Kind, err)
		}
		return nil
	}
	if err := exchange(); err != nil {
		t.Fatalf("through ser2net: %v", err)
	}
	cut := p.Cut()
	if err := harness.Send(within(t, 3*time.Second), sale); !errors.Is(err, ecr.ErrNoAck) {
		t.Fatalf("send over a cut line: %v, want ErrNoAck", err)
	}
	if got := p.Counters(ToDUT).Cut; got == 0 {
		t.Errorf("no byte counted as cut")
	}
	cut()
	if err := exchange(); err != nil {
		t.Fatalf("line restored: %v", err)
	}
}
