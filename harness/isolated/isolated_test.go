package isolated

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// need skips where isolated benches cannot run (as a user); in CI (root,
// CI set) that is a failure, never a skip.
func need(t *testing.T) {
	t.Helper()
	if err := Supported(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		t.Skip("opensc-tool not installed (make deps)")
	}
}

// card is a shelf card as vpcd serves it.
func card(t *testing.T, name string) *emvcard.Card {
	t.Helper()
	p, err := cards.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := emvcard.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// firstReader runs the shell-script terminal against bench b's pcscd.
func firstReader(ctx context.Context, t *testing.T, b *Bench) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "bash", "testdata/firstreader.sh")
	cmd.Env = append(os.Environ(), b.Env()...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// readerLines are the READER lines the script printed.
func readerLines(out string) []string {
	var rs []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "READER ") {
			rs = append(rs, l)
		}
	}
	return rs
}

// refterm builds the reference terminal for the rig.
func refterm(t *testing.T) func(string) (string, error) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refterm")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/poshil/poshil/fixtures/terminal/cmd/refterm").CombinedOutput()
	if err != nil {
		t.Fatalf("build refterm: %v\n%s", err, out)
	}
	return func(string) (string, error) { return bin, nil }
}

// TestFirstReaderOnBench2WhileBench1Runs: while bench 1 runs a chip sale
// (its card in its reader, the terminal waiting for the PIN), firmware on
// bench 2 that opens "the first reader with a card" sees one reader, its
// own, with its own card: bench 2's card's ATR, and the PPSE answers.
// With one pcscd for both benches it would list two readers and take
// bench 1's card (reader 0).
func TestFirstReaderOnBench2WhileBench1Runs(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	lookup := refterm(t)
	bs, err := StartFree(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer StopAll(bs)
	b1, b2 := bs[0], bs[1]
	// This process's PC/SC is bench 1's (libpcsclite reads it once).
	t.Setenv("PCSCLITE_CSOCK_NAME", b1.Socket)
	d1, err := b1.Desc()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Load("../../scenarios/chip/approved-sale.yaml")
	if err != nil {
		t.Fatal(err)
	}

	mc := card(t, "mc-debit")
	s2, err := vpcd.Insert(ctx, b2.Emulator, mc)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Remove()

	var once sync.Once
	var out string
	checked := make(chan struct{})
	live := func(_ string, l verdict.Line) {
		// Bench 1's card is in and its reader has confirmed it: bench 1
		// is mid-scenario. Bench 2's firmware looks now.
		if l.Source != "card" || !strings.HasPrefix(l.Text, "reader reports our card") {
			return
		}
		once.Do(func() {
			defer close(checked)
			out = firstReader(ctx, t, b2)
		})
	}
	rig, err := runner.Up(ctx, d1, runner.Options{Lookup: lookup, Live: live})
	if err != nil {
		t.Fatal(err)
	}
	defer rig.Close()
	res := rig.Run(ctx, sc)
	select {
	case <-checked:
	default:
		t.Fatalf("bench 1's scenario never had its card confirmed (%s: %s)", res.Class, res.Reason)
	}
	if res.Class != verdict.Pass {
		t.Errorf("bench 1: %s: %s", res.Class, res.Reason)
	}
	t.Logf("bench 2's terminal:\n%s", out)
	if rs := readerLines(out); len(rs) != 1 || rs[0] != "READER 0 Yes "+ReaderName {
		t.Errorf("bench 2's terminal saw readers %q, want only its own %q with a card", rs, ReaderName)
	}
	want := "CARD " + ReaderName + " ATR " + colonHex(mc.ATR())
	if !strings.Contains(out, want) {
		t.Errorf("bench 2's terminal did not open its own card: want %q in\n%s", want, out)
	}
	if !strings.Contains(out, "PPSE 9000") {
		t.Errorf("bench 2's card did not answer SELECT PPSE:\n%s", out)
	}
}

func colonHex(b []byte) string {
	const digits = "0123456789abcdef"
	var parts []string
	for _, x := range b {
		parts = append(parts, string([]byte{digits[x>>4], digits[x&15]}))
	}
	return strings.Join(parts, ":")
}

// TestTwoRunsNeverShareABench: two runs starting benches at once get
// disjoint benches (each bench leased by the run that started it), and a
// bench a run holds cannot be started by another.
func TestTwoRunsNeverShareABench(t *testing.T) {
	need(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	got := make([][]*Bench, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = StartFree(ctx, 2)
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		defer StopAll(got[i])
	}
	var ks []int
	for _, bs := range got {
		for _, b := range bs {
			if slices.Contains(ks, b.K) {
				t.Errorf("bench %d given to both runs", b.K)
			}
			ks = append(ks, b.K)
		}
	}
	_, err := Start(ctx, got[0][0].K)
	if !errors.Is(err, lease.ErrBusy) {
		t.Errorf("starting a held bench: %v, want bench busy", err)
	}
	// A stopped bench is free again, and comes up again.
	got[1][0].Stop()
	again, err := Start(ctx, got[1][0].K)
	if err != nil {
		t.Fatalf("bench %d after its run stopped it: %v", got[1][0].K, err)
	}
	again.Stop()
}

// cpuTicks is the user+system CPU time of pid, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces): utime is
	// the 12th, stime the 13th.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

// TestIdleAfterAClientLeaves: once a terminal has used the card and let go
// of it, the bench's pcscd is idle. pcscd stops the reader's polling
// function at every last disconnect and calls it again; a driver that
// kept the stop made pcscd spin a whole core per bench from then on, and
// parallel benches on 2 cores ran no faster than one.
func TestIdleAfterAClientLeaves(t *testing.T) {
	need(t)
	if Driver() != "poshil" {
		t.Skip("stock vpcd: no polling function")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b, err := Start(ctx, Max)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	s, err := vpcd.Insert(ctx, b.Emulator, card(t, "visa-credit"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Remove()
	// Connects, reads the ATR, SELECTs, disconnects: three clients.
	if out := firstReader(ctx, t, b); !strings.Contains(out, "PPSE 9000") {
		t.Fatalf("the terminal did not use the card:\n%s", out)
	}
	before := cpuTicks(t, b.cmd.Process.Pid)
	window := time.NewTimer(time.Second)
	select {
	case <-window.C:
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	// 100 ticks a second is a core; an idle daemon takes none.
	if used := cpuTicks(t, b.cmd.Process.Pid) - before; used > 10 {
		t.Errorf("pcscd used %d ticks of CPU in the second after its clients left (driver %s): it spins", used, IFDLib)
	}
}
