package dut

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/pcsc/pcsctest"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/scenario"
)

// shelltermScript is the example third-party firmware, from this package.
const shelltermScript = "../../docs/examples/shellterm/shellterm.sh"

// shellterm starts the example firmware on vpcd test slot 1 (reserved by
// pcsctest.Setup) behind a ProcessLink with the shipped profile.
func shellterm(ctx context.Context, t *testing.T) (*pcsctest.Bench, *ProcessLink, *taps) {
	t.Helper()
	b := pcsctest.Setup(ctx, t)
	// pcscd notices a card change by polling (about 400 ms): the previous
	// test's card must be seen gone, or the next one is taken for it and
	// never powered up.
	if err := b.Reader.WaitAbsent(ctx); err != nil {
		t.Fatalf("reader %s not empty: %v", pcsctest.Reader, err)
	}
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("opensc-tool not installed (make deps)")
		}
		t.Fatal("CI is set but opensc-tool is not installed")
	}
	prof, err := LoadProfile("shellterm")
	if err != nil {
		t.Fatal(err)
	}
	stdin, output, _, _ := start(t, []string{"bash", shelltermScript},
		"SHELLTERM_READER=1", "SHELLTERM_CARD_WAIT=10", "SHELLTERM_PIN_WAIT=10")
	tp := &taps{}
	l, err := NewProcess(stdin, output, prof, tp.tap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = l.Close()
		if t.Failed() {
			t.Logf("shellterm transcript:\n%s", tp.all())
		}
	})
	next(t, l, "READY version=1.0")
	return b, l, tp
}

func card(t *testing.T, h emvcard.Hooks) *emvcard.Card {
	t.Helper()
	p, err := cards.Lookup("visa-credit")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emvcard.New(p)
	if err != nil {
		t.Fatal(err)
	}
	c.SetHooks(h)
	return c
}

// TestShelltermApproves runs a chip sale with one wrong PIN through the
// example firmware: real pcscd, vpcd slot 1, opensc-tool.
func TestShelltermApproves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	b, l, tp := shellterm(ctx, t)
	send(t, l, msg(ecr.Sale, "amount", "1250", "currency", "978", "ref", "A1"))
	next(t, l, "DISPLAY text=AMOUNT 12.50")
	next(t, l, "DISPLAY text=INSERT CARD")
	c := card(t, emvcard.Hooks{})
	b.Insert(ctx, t, c)
	next(t, l, "DISPLAY text=READING CARD")
	next(t, l, "DISPLAY text=ENTER PIN")
	send(t, l, msg(ecr.Key, "keys", "1111E"))
	next(t, l, "EVENT tries=2 code=INCORRECT_PIN")
	next(t, l, "DISPLAY text=ENTER PIN")
	send(t, l, msg(ecr.Key, "keys", "1234E"))
	next(t, l, "DISPLAY text=PIN OK")
	m := receive(t, l)
	if code, _ := m.Get("code"); m.Kind != ecr.Result || code != "APPROVED" {
		t.Fatalf("got %s, want RESULT code=APPROVED", describe(m))
	}
	if auth, _ := m.Get("auth"); len(auth) != 6 {
		t.Errorf("approval code %q", auth)
	}
	if ref, _ := m.Get("ref"); ref != "A1" {
		t.Errorf("ref %q, want A1", ref)
	}
	if n := c.PINTriesLeft(); n != 3 {
		t.Errorf("card PIN tries left %d after the right PIN, want 3 (VERIFY reached the card)", n)
	}
	send(t, l, msg(ecr.Last))
	m = receive(t, l)
	code, _ := m.Get("code")
	if last, _ := m.Get("last"); code != "APPROVED" || last != "1" {
		t.Errorf("answer to LAST: %s", describe(m))
	}
	checkNoPIN(t, tp, "1111", "1234")
}

// TestShelltermMuteCard: a card without a usable ATR is CHIP_ERROR.
func TestShelltermMuteCard(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	b, l, tp := shellterm(ctx, t)
	send(t, l, msg(ecr.Sale, "amount", "500", "currency", "978", "ref", "M1"))
	next(t, l, "DISPLAY text=AMOUNT 5.00")
	next(t, l, "DISPLAY text=INSERT CARD")
	b.Insert(ctx, t, card(t, emvcard.Hooks{ATR: func([]byte) []byte { return nil }}))
	next(t, l, "DISPLAY text=READING CARD")
	next(t, l, "RESULT dut_code=ERR_CHIP ref=M1 code=CHIP_ERROR")
	if !strings.Contains(tp.all(), "in CHIP: ") {
		t.Errorf("shellterm did not say why the chip failed:\n%s", tp.all())
	}
}

func receive(t *testing.T, l Link) ecr.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := l.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkNoPIN(t *testing.T, tp *taps, pins ...string) {
	t.Helper()
	all := tp.all()
	for _, p := range pins {
		for _, l := range []string{"out " + p, "in " + p, " " + p + " "} {
			if strings.Contains(all, l) {
				t.Errorf("PIN %s in the tap:\n%s", p, all)
			}
		}
	}
}

// TestShelltermCancelAndPINBlocked: the cancel key reaches shellterm as
// its own word, and a last wrong PIN is PIN_TRIES_EXCEEDED with 0 tries.
func TestShelltermCancelAndPINBlocked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	b, l, tp := shellterm(ctx, t)
	c := card(t, emvcard.Hooks{})
	if err := c.SetPINTriesLeft(1); err != nil {
		t.Fatal(err)
	}
	b.Insert(ctx, t, c)
	send(t, l, msg(ecr.Sale, "amount", "800", "currency", "978", "ref", "C1"))
	next(t, l, "DISPLAY text=AMOUNT 8.00")
	next(t, l, "DISPLAY text=INSERT CARD")
	next(t, l, "DISPLAY text=READING CARD")
	next(t, l, "DISPLAY text=ENTER PIN")
	send(t, l, msg(ecr.Key, "keys", "C"))
	next(t, l, "RESULT dut_code=CANCEL ref=C1 code=CANCELLED")

	send(t, l, msg(ecr.Sale, "amount", "2000", "currency", "978", "ref", "C2"))
	next(t, l, "DISPLAY text=AMOUNT 20.00")
	next(t, l, "DISPLAY text=INSERT CARD")
	next(t, l, "DISPLAY text=READING CARD")
	next(t, l, "DISPLAY text=ENTER PIN")
	send(t, l, msg(ecr.Key, "keys", "9999E"))
	next(t, l, "RESULT dut_code=PIN_BLOCKED tries=0 ref=C2 code=PIN_TRIES_EXCEEDED")
	if n := c.PINTriesLeft(); n != 0 {
		t.Errorf("card PIN tries left %d, want 0", n)
	}
	if !strings.Contains(tp.all(), "out cancel") {
		t.Errorf("the cancel key was not sent as \"cancel\":\n%s", tp.all())
	}
	checkNoPIN(t, tp, "9999")
}

// TestShelltermExamples keeps the example scenarios loadable.
func TestShelltermExamples(t *testing.T) {
	dir := "../../docs/examples/shellterm/scenarios"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if _, err := scenario.Load(filepath.Join(dir, e.Name())); err != nil {
			t.Error(err)
		}
		n++
	}
	if n < 4 {
		t.Errorf("%d example scenarios", n)
	}
}
