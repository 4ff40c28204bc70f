package pcsc_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/pcsc"
	"github.com/poshil/poshil/drivers/pcsc/pcsctest"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
)

// selectPPSE is SELECT 2PAY.SYS.DDF01.
var selectPPSE = []byte{0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00}

func visa(t testing.TB) *emvcard.Card {
	t.Helper()
	p, err := cards.Lookup("visa-credit")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emvcard.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connect(ctx context.Context, t testing.TB, r pcsc.Reader) pcsc.Card {
	t.Helper()
	card, err := r.Connect(ctx)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = card.Disconnect(false) })
	return card
}

func TestReaders(t *testing.T) {
	c := pcsctest.Client(t)
	names, err := c.Readers(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Virtual PCD 00 00", "Virtual PCD 00 01"} {
		if !slices.Contains(names, want) {
			t.Errorf("readers %q lack %q", names, want)
		}
	}
}

func TestExchange(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	emv := visa(t)
	b.Insert(ctx, t, emv)
	r := b.Reader
	card := connect(ctx, t, r)
	if !bytes.Equal(card.ATR(), emv.ATR()) {
		t.Errorf("ATR % X, want % X", card.ATR(), emv.ATR())
	}
	st, err := card.Status()
	if err != nil || !st.Present || !st.Powered || st.Reader != pcsctest.Reader || !bytes.Equal(st.ATR, emv.ATR()) {
		t.Errorf("Status %+v, %v", st, err)
	}
	rsp, err := card.Transmit(ctx, selectPPSE)
	if err != nil {
		t.Fatal(err)
	}
	if len(rsp) == 2 && rsp[0] == 0x61 { // T=0: fetch the FCI with GET RESPONSE
		if rsp, err = card.Transmit(ctx, []byte{0x00, 0xC0, 0x00, 0x00, rsp[1]}); err != nil {
			t.Fatal(err)
		}
	}
	if len(rsp) < 4 || rsp[0] != 0x6F || !bytes.Equal(rsp[len(rsp)-2:], []byte{0x90, 0x00}) {
		t.Errorf("SELECT PPSE: % X", rsp)
	}
	if _, err := card.Transmit(ctx, nil); !errors.Is(err, pcsc.ErrBadCommand) {
		t.Errorf("empty C-APDU: %v, want ErrBadCommand", err)
	}
	if err := card.Disconnect(true); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
	if _, err := card.Transmit(ctx, selectPPSE); !errors.Is(err, pcsc.ErrClosed) {
		t.Errorf("Transmit after Disconnect: %v, want ErrClosed", err)
	}
}

// WaitCard reports the inserted card's ATR as pcscd sees it, without a
// connection of its own.
func TestWaitCardATR(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	emv := visa(t)
	b.Insert(ctx, t, emv)
	atr, err := b.Reader.WaitCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(atr, emv.ATR()) {
		t.Errorf("WaitCard ATR % X, want % X", atr, emv.ATR())
	}
}

func TestUnknownReader(t *testing.T) {
	ctx := testCtx(t)
	r := pcsctest.Client(t).Reader("No Such Reader 00 00")
	start := time.Now()
	if err := r.WaitPresent(ctx); !errors.Is(err, pcsc.ErrNoReader) {
		t.Errorf("WaitPresent: %v, want ErrNoReader", err)
	}
	if _, err := r.Connect(ctx); !errors.Is(err, pcsc.ErrNoReader) {
		t.Errorf("Connect: %v, want ErrNoReader", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	b.Insert(ctx, t, visa(t))
	r := b.Reader
	wctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	err := r.WaitAbsent(wctx) // the card stays: only cancel ends this
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WaitAbsent: %v, want context.Canceled", err)
	}
	// SCardCancel ends the wait at once; polling alone would take ~250 ms.
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("WaitAbsent returned %v after start, want SCardCancel to end it promptly", d)
	}
	if err := r.WaitPresent(ctx); err != nil {
		t.Errorf("WaitPresent with a card in: %v", err)
	}
}

func TestRemoval(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	slot := b.Insert(ctx, t, visa(t))
	r := b.Reader
	card := connect(ctx, t, r)
	if err := slot.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitAbsent(ctx); err != nil {
		t.Fatalf("WaitAbsent: %v", err)
	}
	if _, err := card.Transmit(ctx, selectPPSE); !errors.Is(err, pcsc.ErrRemoved) {
		t.Errorf("Transmit after removal: %v, want ErrRemoved", err)
	}
	if st, err := card.Status(); err != nil || st.Present {
		t.Errorf("Status after removal: %+v, %v", st, err)
	}
	if other, err := r.Connect(ctx); !errors.Is(err, pcsc.ErrNoCard) {
		t.Errorf("Connect to an empty reader: %v, want ErrNoCard", err)
		if err == nil {
			_ = other.Disconnect(false)
		}
	}
}

func TestCardPulledMidAPDU(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	emv := visa(t)
	emv.SetHooks(emvcard.Hooks{APDU: func(context.Context, emvcard.Command, emvcard.Handler) ([]byte, error) {
		return nil, errors.New("pulled")
	}})
	slot := b.Insert(ctx, t, emv)
	r := b.Reader
	card := connect(ctx, t, r)
	_, err := card.Transmit(ctx, selectPPSE)
	// vpcd ends SCardTransmit with success and 0 bytes: ErrEmptyResponse.
	if !errors.Is(err, pcsc.ErrEmptyResponse) {
		t.Errorf("Transmit to a card pulled mid-APDU: %v, want ErrEmptyResponse", err)
	}
	<-slot.Done()
}

func TestShortResponse(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	emv := visa(t)
	emv.SetHooks(emvcard.Hooks{APDU: func(context.Context, emvcard.Command, emvcard.Handler) ([]byte, error) {
		return []byte{0x90}, nil
	}})
	b.Insert(ctx, t, emv)
	r := b.Reader
	card := connect(ctx, t, r)
	if _, err := card.Transmit(ctx, selectPPSE); !errors.Is(err, pcsc.ErrShortAPDU) {
		t.Errorf("1-byte answer: %v, want ErrShortAPDU", err)
	}
}

func TestMuteCard(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	emv := visa(t)
	emv.SetHooks(emvcard.Hooks{ATR: func([]byte) []byte { return nil }})
	b.Insert(ctx, t, emv)
	r := b.Reader
	_, err := r.Connect(ctx)
	if !errors.Is(err, pcsc.ErrUnpowered) {
		t.Errorf("Connect to a mute card: %v, want ErrUnpowered", err)
	}
}

func TestStalledCard(t *testing.T) {
	ctx := testCtx(t)
	b := pcsctest.Setup(ctx, t)
	emv := visa(t)
	emv.SetHooks(emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		if cmd.INS == 0xA8 { // GPO never answers until the card is pulled
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return next(ctx, cmd)
	}})
	slot := b.Insert(ctx, t, emv)
	r := b.Reader
	card := connect(ctx, t, r)
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := card.Transmit(tctx, []byte{0x80, 0xA8, 0x00, 0x00, 0x02, 0x83, 0x00, 0x00})
	if !errors.Is(err, pcsc.ErrUnresponsive) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled GPO: %v, want ErrUnresponsive and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("stalled GPO returned after %v", d)
	}
	tctx2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	if _, err := card.Transmit(tctx2, selectPPSE); !errors.Is(err, pcsc.ErrUnresponsive) {
		t.Errorf("APDU behind a stalled one: %v, want ErrUnresponsive", err)
	}
	done := make(chan error, 1)
	go func() { done <- card.Disconnect(false) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Disconnect hangs behind a stalled APDU")
	}
	_ = slot.Remove() // unblocks the card; the session is released in the background
	if err := r.WaitAbsent(ctx); err != nil {
		t.Errorf("WaitAbsent: %v", err)
	}
}
