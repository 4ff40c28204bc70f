package dut

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/pcsc/pcsctest"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
)

func TestScratchHold(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	b := pcsctest.Setup(ctx, t)
	p, _ := cards.Lookup("visa-credit")
	c, _ := emvcard.New(p)
	if os.Getenv("SCRATCH") == "mute" {
		c.SetHooks(emvcard.Hooks{ATR: func([]byte) []byte { return nil }})
		s, err := b.Insert(ctx, t, c), error(nil)
		_ = s
		_ = err
	} else {
		b.Insert(ctx, t, c)
	}
	os.WriteFile("/tmp/dutx/ready", []byte("x"), 0o644)
	time.Sleep(15 * time.Second)
}
