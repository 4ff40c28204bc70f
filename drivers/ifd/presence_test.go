package ifd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/poshil/poshil/drivers/pcsc"
)

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestEventLatency guards the event-driven presence: through the real
// pcscd, insertion and removal reach a PC/SC client at once, not at the
// next 400 ms poll. The limit is loose (a busy machine); BenchmarkPresence
// gives the real figures, stock vpcd's beside them.
func TestEventLatency(t *testing.T) {
	r := needOurs(t)
	ctx := testCtx(t, 60*time.Second)
	res, w := slotOf(ctx, t, r, oursSlot)
	var ins, rem []time.Duration
	for range 20 {
		i, m := cycle(ctx, t, res, w, newCard(0x01), nil)
		ins, rem = append(ins, i), append(rem, m)
	}
	slices.Sort(ins)
	slices.Sort(rem)
	t.Logf("insertion p50 %v p99 %v; removal p50 %v p99 %v", quantile(ins, .5), quantile(ins, .99), quantile(rem, .5), quantile(rem, .99))
	// Polling every 400 ms gives a median near 200 ms.
	if quantile(ins, .5) > 50*time.Millisecond || quantile(rem, .5) > 50*time.Millisecond {
		t.Errorf("median insertion %v, removal %v: want well under 50 ms (budget 5 ms)", quantile(ins, .5), quantile(rem, .5))
	}
}

// TestSwapQueued takes a card out while the next one already waits on the
// slot's port: the driver takes the new card in the same breath as it
// sees the old one go. pcscd must still see a removal and an insertion,
// and power the new card; else clients keep the old card's session and
// ATR, and the new card is never talked to.
func TestSwapQueued(t *testing.T) {
	r := needOurs(t)
	ctx := testCtx(t, 60*time.Second)
	res, w := slotOf(ctx, t, r, oursSlot)
	for i := range 10 {
		a, b := newCard(0xA0), newCard(byte(0xB0+i))
		s, err := res.Insert(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.until(ctx, present); err != nil {
			t.Fatal(err)
		}
		before := w.events()
		conn := rawCard(ctx, t, r.SlotAddr(oursSlot), b) // queued behind a
		_ = s.Remove()
		swapSeen(ctx, t, w, b, before)
		_ = conn.Close()
		if _, err := w.until(ctx, empty); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSwapWithinPoll swaps cards as fast as a bench can: remove one, insert
// the next at once, far inside stock vpcd's 400 ms poll. Every swap is
// seen as a removal and an insertion.
func TestSwapWithinPoll(t *testing.T) {
	r := needOurs(t)
	ctx := testCtx(t, 60*time.Second)
	res, w := slotOf(ctx, t, r, oursSlot)
	s, err := res.Insert(ctx, newCard(0xA0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.until(ctx, present); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		b := newCard(byte(0xB0 + i))
		before := w.events()
		_ = s.Remove()
		if s, err = res.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
		swapSeen(ctx, t, w, b, before)
	}
	_ = s.Remove()
}

// swapSeen waits until pcscd reports card b, and checks that it counted a
// removal and an insertion since before and powered b.
func swapSeen(ctx context.Context, t *testing.T, w *watcher, b *testCard, before int) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := w.until(wctx, func(st scard.StateFlag) bool {
		return present(st) && bytes.Equal(w.atr(), b.ATR())
	})
	if err != nil {
		t.Fatalf("swap not seen: after 2 s pcscd reports ATR % X and %d event(s) since the swap, want the new card's % X after 2 (%v)",
			w.atr(), w.events()-before, b.ATR(), err)
	}
	if n := w.events() - before; n != 2 {
		t.Errorf("swap counted as %d event(s), want 2 (removal, insertion)", n)
	}
	if b.powerOns() == 0 {
		t.Errorf("the new card was never powered")
	}
}

// TestVICC plugs vsmartcard's Python card emulator (Debian
// vsmartcard-vpicc) into the driver: it answers APDUs through pcscd, and
// stopping it is a removal.
func TestVICC(t *testing.T) {
	r := needOurs(t)
	bin, err := exec.LookPath("vicc")
	if err != nil {
		t.Skip("vicc not installed (Debian vsmartcard-vpicc): skipping the vicc check")
	}
	env := viccEnv(t)
	ctx := testCtx(t, 60*time.Second)
	_, w := slotOf(ctx, t, r, oursSlot)
	vctx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(vctx, bin, "--type", "iso7816", "--hostname", "127.0.0.1", "--port", fmt.Sprint(r.Port+oursSlot))
	cmd.Env = env
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() { stop(); <-exited }()
	if _, err := w.until(ctx, present); err != nil {
		t.Fatalf("vicc never seen: %v; vicc said: %s", err, out)
	}
	c, err := pcsc.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	card, err := c.Reader(r.SlotName(oursSlot)).Connect(ctx)
	if err != nil {
		t.Fatalf("connect to vicc: %v", err)
	}
	// SELECT MF: the ISO 7816 card has one.
	rsp, err := card.Transmit(ctx, []byte{0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00})
	if err != nil || !bytes.HasSuffix(rsp, []byte{0x90, 0x00}) {
		t.Errorf("SELECT MF through vicc: % X, %v; want 90 00", rsp, err)
	}
	_ = card.Disconnect(false)
	stop()
	<-exited
	if _, err := w.until(ctx, empty); err != nil {
		t.Errorf("vicc stopped, removal not seen: %v", err)
	}
}

// viccEnv is the environment vicc runs in. Debian bookworm's
// python3-virtualsmartcard installs its module one folder too deep, and
// imports Crypto where Debian's python3-pycryptodome is Cryptodome: both
// are bridged here, in the test's own folder. If vicc still cannot load,
// the test is skipped saying why.
func viccEnv(t *testing.T) []string {
	t.Helper()
	shim := t.TempDir()
	path := []string{shim}
	if _, err := os.Stat("/usr/lib/python3/dist-packages/Cryptodome"); err == nil {
		if err := os.Symlink("/usr/lib/python3/dist-packages/Cryptodome", filepath.Join(shim, "Crypto")); err != nil {
			t.Fatal(err)
		}
	}
	const deep = "/usr/lib/python3/site-packages/virtualsmartcard"
	if _, err := os.Stat(filepath.Join(deep, "virtualsmartcard")); err == nil {
		path = append(path, deep)
	}
	env := append(os.Environ(), "PYTHONPATH="+strings.Join(path, ":"))
	probe := exec.Command("/usr/bin/python3", "-c", "import virtualsmartcard.VirtualSmartcard")
	probe.Env = env
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("vicc is installed but cannot load its Python modules (install python3-virtualsmartcard and python3-pycryptodome): %v: %s", err, out)
	}
	return env
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
