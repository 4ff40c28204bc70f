package runner

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/lineproxy"
	"github.com/poshil/poshil/drivers/pcsc"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/harness/dut"
	"github.com/poshil/poshil/harness/verdict"
)

// pcscReader is the DUT's reader through pcscd.
type pcscReader struct {
	r    pcsc.Reader
	name string
}

// WaitEmpty implements Reader.
func (p pcscReader) WaitEmpty(ctx context.Context) error { return p.r.WaitAbsent(ctx) }

// WaitCard implements Reader: the ATR as pcscd reports it, without
// connecting to the card.
func (p pcscReader) WaitCard(ctx context.Context) ([]byte, error) { return p.r.WaitCard(ctx) }

// Healthy implements Reader. It asks through a fresh PC/SC context: an
// established one can keep answering from the client library's cache
// after pcscd is gone.
func (p pcscReader) Healthy(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	c, err := pcsc.Open()
	if err != nil {
		return verdict.Bench("pcsc", err)
	}
	defer c.Close()
	readers, err := c.Readers(cctx)
	if err != nil {
		return verdict.Bench("pcsc", err)
	}
	if !slices.Contains(readers, p.name) {
		return verdict.Bench("pcsc", fmt.Errorf("reader %q vanished: %w", p.name, pcsc.ErrReaderGone))
	}
	return nil
}

// reservedSlot is the emulated card's vpcd slot, reserved under the
// rig's lease.
type reservedSlot struct{ r *Rig }

// Insert implements Slot.
func (s reservedSlot) Insert(ctx context.Context, card vpcd.Card) (InsertedCard, error) {
	sl, err := s.r.insertCard(ctx, card)
	if err != nil {
		return nil, err
	}
	return sl, nil
}

// serialECR is the ECR line on a serial port (a real one, or the emulated
// line's harness end through the fault proxy).
type serialECR struct {
	port    serial.Port
	line    *lineproxy.Emulated // nil on a real line
	adapter string
	prof    *dut.Profile
}

// Flush implements ECR.
func (s serialECR) Flush() error {
	if s.line != nil {
		return s.line.Flush()
	}
	return nil
}

// Link implements ECR: the framed ECR protocol, or the console adapter's
// text mapped onto it.
func (s serialECR) Link(tap func(ecr.TapEvent), lineTap func(dir, line string)) (Link, error) {
	if s.adapter == "console" {
		c, err := dut.NewConsole(s.port, s.prof, lineTap)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return ecr.NewLink(s.port, ecr.LinkOptions{Tap: tap}), nil
}

// Err implements ECR: the line proxy failing is the rig's fault.
func (s serialECR) Err() error {
	if s.line == nil {
		return nil
	}
	select {
	case <-s.line.Proxy().Failed():
		return verdict.Bench("ecr line proxy", s.line.Proxy().Err())
	default:
		return nil
	}
}
