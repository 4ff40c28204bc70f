package runner_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/runner/runnertest"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// fakeRig is a rig of runnertest fakes.
func fakeRig(t *testing.T, edit ...func(*bench.Bench)) (*runnertest.Bench, *runner.Rig) {
	t.Helper()
	return fakeRigWith(t, nil, edit...)
}

// fakeRigWith is a rig of runnertest fakes whose supply is s (nil: the
// fakes' own).
func fakeRigWith(t *testing.T, s runner.Supply, edit ...func(*bench.Bench)) (*runnertest.Bench, *runner.Rig) {
	t.Helper()
	fb := runnertest.New()
	cfg := fb.Config()
	for _, e := range edit {
		e(cfg)
	}
	p := fb.Parts()
	if s != nil {
		p.Supply = s
	}
	r, err := runner.New(cfg, p, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return fb, r
}

func parse(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("fake.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// sale is a chip sale the fake terminal approves by default.
const sale = `name: fake sale
card: visa-credit
timeout: 10s
steps:
  - sale: 12.50
  - insert: chip
expect:
  outcome: APPROVED
`

func run(t *testing.T, ctx context.Context, r *runner.Rig, sc *scenario.Scenario) verdict.Result {
	t.Helper()
	res := r.Run(ctx, sc)
	t.Logf("verdict %s: %s", res.Class, res.Reason)
	return res
}

// assertSafe checks the bench is in its safe state after a run: terminal
// stopped, card out, parts reset, link closed.
func assertSafe(t *testing.T, fb *runnertest.Bench) {
	t.Helper()
	if fb.Terminal.Running() {
		t.Errorf("the terminal still runs after the scenario:\n%s", fb.Log)
	}
	for _, want := range []string{"supply halt", "network reset", "host reset behaviour", "ecr close"} {
		if fb.Log.Index(want) < 0 {
			t.Errorf("safe state: no %q in the log:\n%s", want, fb.Log)
		}
	}
	if fb.Log.Count("slot insert") != fb.Log.Count("slot remove") {
		t.Errorf("safe state: a card is left in the slot:\n%s", fb.Log)
	}
}

func TestRunPassesOnFakes(t *testing.T) {
	fb, r := fakeRig(t)
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.Pass {
		t.Fatalf("got %s (%s), want PASS", res.Class, res.Reason)
	}
	if n := fb.Terminal.Launches(); n != 1 {
		t.Errorf("terminal launched %d times, want 1", n)
	}
	if !strings.Contains(res.Evidence.DUTLog, "fake terminal 1001 up") {
		t.Errorf("DUT log = %q, want the terminal's output", res.Evidence.DUTLog)
	}
	assertSafe(t, fb)
}

func TestSafeStateAfterFailingStep(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Terminal.SetAnswer(func(_ *runnertest.Terminal, m ecr.Message) []ecr.Message {
		if m.Kind == ecr.Sale {
			return []ecr.Message{runnertest.Result("DECLINED")}
		}
		return nil
	})
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.Fail {
		t.Fatalf("got %s (%s), want FAIL", res.Class, res.Reason)
	}
	assertSafe(t, fb)
}

func TestSafeStateAfterPanic(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Terminal.SetAnswer(func(_ *runnertest.Terminal, m ecr.Message) []ecr.Message {
		if m.Kind == ecr.Sale {
			panic("boom")
		}
		return nil
	})
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, "boom") {
		t.Fatalf("got %s (%s), want BENCH_ERROR naming the panic", res.Class, res.Reason)
	}
	assertSafe(t, fb)
}

func TestSafeStateAfterPanicInReceiveLoop(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Terminal.PanicOnReceive()
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, runner.ErrPanic.Error()) {
		t.Fatalf("got %s (%s), want BENCH_ERROR for the harness panic", res.Class, res.Reason)
	}
	assertSafe(t, fb)
}

func TestSafeStateAfterCancel(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Terminal.SetAnswer(func(*runnertest.Terminal, ecr.Message) []ecr.Message { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if fb.Log.Wait("slot insert", 5*time.Second) {
			cancel() // Ctrl-C while the terminal works
		}
	}()
	res := run(t, ctx, r, parse(t, sale))
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, runner.ErrAborted.Error()) {
		t.Fatalf("got %s (%s), want BENCH_ERROR aborted", res.Class, res.Reason)
	}
	assertSafe(t, fb)
}

// A bench error in a step (here the card emulator refusing the card) is
// BENCH_ERROR, never FAIL, though the rig looks healthy afterwards.
func TestBenchErrorInStepIsNotFail(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Slot.SetInsertError(errors.New("vpcd slot refused the card"))
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, "vpcd slot refused") {
		t.Fatalf("got %s (%s), want BENCH_ERROR", res.Class, res.Reason)
	}
	assertSafe(t, fb)
}

func TestLaunchFailureIsBenchError(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Terminal.SetLaunchError(verdict.Bench("dut", errors.New("exec: no such file")))
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.BenchError {
		t.Fatalf("got %s (%s), want BENCH_ERROR", res.Class, res.Reason)
	}
}

// An MSR port that cannot open is the bench's fault, found before the DUT
// starts (it used to be the terminal's FAIL when it could not open it).
func TestMSRPortThatCannotOpenIsBenchError(t *testing.T) {
	fb, r := fakeRig(t, func(b *bench.Bench) { b.MSR = &bench.Line{Port: t.TempDir() + "/no-such-msr"} })
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, "msr line") {
		t.Fatalf("got %s (%s), want BENCH_ERROR naming the msr line", res.Class, res.Reason)
	}
	if n := fb.Terminal.Launches(); n != 0 {
		t.Errorf("the terminal was started %d times with a broken port, want 0", n)
	}
}

func TestUnconfirmedInsertionIsBenchError(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Slot.SetUnseen(true)
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, "did not report our card") {
		t.Fatalf("got %s (%s), want BENCH_ERROR: the reader never saw the card", res.Class, res.Reason)
	}
	assertSafe(t, fb)
	// The slot was recovered: the next scenario runs normally.
	fb.Slot.SetUnseen(false)
	if res := run(t, context.Background(), r, parse(t, sale)); res.Class != verdict.Pass {
		t.Fatalf("next scenario: got %s (%s), want PASS", res.Class, res.Reason)
	}
}

func TestForeignATRIsBenchError(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Slot.SetForeignATR([]byte{0x3B, 0x02, 0x14, 0x50})
	res := run(t, context.Background(), r, parse(t, sale))
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, "another card") {
		t.Fatalf("got %s (%s), want BENCH_ERROR: another card in the reader", res.Class, res.Reason)
	}
}

// selectPSE is SELECT 1PAY.SYS.DDF01.
var selectPSE = []byte{0x00, 0xA4, 0x04, 0x00, 0x0E, '1', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00}

func TestCardOutcomeWithoutCommandIsBenchError(t *testing.T) {
	for _, tc := range []struct {
		name     string
		talk     bool // the terminal sends our card a command first
		want     verdict.Class
		inReason string
	}{
		{"no command", false, verdict.BenchError, "our card received no command"},
		{"after a command", true, verdict.Fail, "CHIP_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb, r := fakeRig(t)
			fb.Terminal.SetAnswer(func(term *runnertest.Terminal, m ecr.Message) []ecr.Message {
				return nil
			})
			sc := parse(t, `name: chip error
card: visa-credit
timeout: 10s
steps:
  - sale: 12.50
  - insert: chip
  - key: cancel
expect:
  outcome: APPROVED
`)
			// The terminal answers the KEY (sent after the insertion was
			// confirmed), as if it had read a card.
			fb.Terminal.SetAnswer(func(term *runnertest.Terminal, m ecr.Message) []ecr.Message {
				if m.Kind != ecr.Key {
					return nil
				}
				if tc.talk {
					if _, err := term.Transmit(context.Background(), selectPSE); err != nil {
						t.Errorf("transmit: %v", err)
					}
				}
				return []ecr.Message{runnertest.Result("CHIP_ERROR")}
			})
			res := run(t, context.Background(), r, sc)
			if res.Class != tc.want || !strings.Contains(res.Reason, tc.inReason) {
				t.Fatalf("got %s (%s), want %s with %q", res.Class, res.Reason, tc.want, tc.inReason)
			}
		})
	}
}

// A power cut whose Clear comes in the safe state (Ctrl-C during the cut)
// must not boot the terminal just to stop it.
func TestPowerCutClearedInSafeStateDoesNotBoot(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Terminal.SetAnswer(func(*runnertest.Terminal, ecr.Message) []ecr.Message { return nil })
	sc := parse(t, `name: cut then abort
card: visa-credit
timeout: 10s
steps:
  - sale: 12.50
  - inject: {power_cut: {}}
  - display: NEVER SHOWN
expect:
  outcome: APPROVED
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if fb.Log.Wait("terminal kill", 5*time.Second) {
			cancel()
		}
	}()
	res := run(t, ctx, r, sc)
	if res.Class != verdict.BenchError {
		t.Fatalf("got %s (%s), want BENCH_ERROR aborted", res.Class, res.Reason)
	}
	if n := fb.Terminal.Launches(); n != 1 {
		t.Errorf("terminal launched %d times, want 1 (no boot after the cut):\n%s", n, fb.Log)
	}
	if !fb.Supply.Output() {
		t.Errorf("supply left off after the scenario")
	}
	assertSafe(t, fb)
}

// The power cut's Clear during the scenario does boot the terminal again
// (the lifecycle allows "DUT on" outside the safe state).
func TestPowerCutClearedInScenarioBoots(t *testing.T) {
	fb, r := fakeRig(t)
	cutAndRestore(t, fb, r)
}

// cutAndRestore runs a scenario that cuts the power, restores it and
// sells on r: it must PASS, the terminal booted twice (boot, reboot
// after the cut).
func cutAndRestore(t *testing.T, fb *runnertest.Bench, r *runner.Rig) verdict.Result {
	t.Helper()
	res := run(t, context.Background(), r, parse(t, `name: cut and restore
card: visa-credit
timeout: 10s
steps:
  - inject: {power_cut: {}, id: cut}
  - clear: cut
  - sale: 12.50
expect:
  outcome: APPROVED
`))
	if res.Class != verdict.Pass {
		t.Fatalf("got %s (%s), want PASS", res.Class, res.Reason)
	}
	if n := fb.Terminal.Launches(); n != 2 {
		t.Errorf("terminal launched %d times, want 2 (boot, reboot after the cut):\n%s", n, fb.Log)
	}
	return res
}

// The safe state stops the terminal before faults clear: a sag still
// active at the end is restored only after the terminal is stopped.
func TestSafeStopsDUTBeforeFaultsClear(t *testing.T) {
	fb, r := fakeRig(t)
	fb.Terminal.SetAnswer(func(_ *runnertest.Terminal, m ecr.Message) []ecr.Message {
		if m.Kind == ecr.Sale {
			return []ecr.Message{runnertest.Result("LOW_POWER")}
		}
		return nil
	})
	sc := parse(t, `name: sag to the end
card: visa-credit
timeout: 10s
steps:
  - inject: {sag: {to: 3.9V}}
  - sale: 12.50
expect:
  outcome: LOW_POWER
`)
	res := run(t, context.Background(), r, sc)
	if res.Class != verdict.Pass {
		t.Fatalf("got %s (%s), want PASS", res.Class, res.Reason)
	}
	stop, restore := fb.Log.Index("terminal stop"), lastIndex(fb.Log, "supply voltage 4.2")
	if stop < 0 || restore < 0 || restore < stop {
		t.Errorf("want the terminal stopped (%d) before the sag is cleared (%d):\n%s", stop, restore, fb.Log)
	}
}

func lastIndex(l *runnertest.Log, prefix string) int {
	e := l.Entries()
	for i := len(e) - 1; i >= 0; i-- {
		if strings.HasPrefix(e[i], prefix) {
			return i
		}
	}
	return -1
}

// A power cut cleared by its own timer (for:) boots the terminal from the
// fault's goroutine through the lifecycle while the steps run: no data
// race on the DUT (go test -race).
func TestPowerCutClearedByTimerBoots(t *testing.T) {
	fb, r := fakeRig(t)
	sc := parse(t, `name: timed cut
card: visa-credit
timeout: 10s
steps:
  - inject: {power_cut: {}, for: 100ms}
  - wait: 600ms
  - sale: 12.50
expect:
  outcome: APPROVED
`)
	res := run(t, context.Background(), r, sc)
	if res.Class != verdict.Pass {
		t.Fatalf("got %s (%s), want PASS", res.Class, res.Reason)
	}
	if n := fb.Terminal.Launches(); n != 2 {
		t.Errorf("terminal launched %d times, want 2 (boot, reboot):\n%s", n, fb.Log)
	}
}

// A card swapped within one presence poll is not seen as a new card: every
// insertion waits until the reader reports the slot empty.
func TestInsertWaitsForTheReaderToReportEmpty(t *testing.T) {
	fb, r := fakeRig(t)
	sc := parse(t, `name: reinsert
card: visa-credit
timeout: 10s
steps:
  - sale: 12.50
  - insert: chip
  - remove: true
  - insert: chip
expect:
  outcome: APPROVED
`)
	res := run(t, context.Background(), r, sc)
	if res.Class != verdict.Pass {
		t.Fatalf("got %s (%s), want PASS", res.Class, res.Reason)
	}
	e := fb.Log.Entries()
	removed := -1
	for i, x := range e {
		switch x {
		case "slot remove":
			removed = i
		case "slot insert":
			if removed >= 0 && !slices.Contains(e[removed:i], "reader empty") {
				t.Errorf("card inserted at %d after a removal at %d without the reader reporting the slot empty:\n%s", i, removed, fb.Log)
			}
		}
	}
	if removed < 0 {
		t.Fatalf("no removal in the log:\n%s", fb.Log)
	}
}

// A panic in the supply's change callback (run on whichever goroutine
// changed the supply: a fault's timer) is recovered, named, and ends the
// scenario as BENCH_ERROR in its safe state.
func TestPanicInSupplyCallbackIsBenchError(t *testing.T) {
	fb := runnertest.New()
	r, err := runner.New(fb.Config(), fb.Parts(), runner.Options{Live: func(_ string, l verdict.Line) {
		if l.Source == "power" && strings.HasPrefix(l.Text, "supply") {
			panic("live view broke")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sc := parse(t, `name: cut
card: visa-credit
timeout: 10s
steps:
  - inject: {power_cut: {}, for: 50ms}
  - display: NEVER SHOWN
expect:
  outcome: APPROVED
`)
	res := run(t, context.Background(), r, sc)
	if res.Class != verdict.BenchError || !strings.Contains(res.Reason, "supply callback") || !strings.Contains(res.Reason, "live view broke") {
		t.Fatalf("got %s (%s), want BENCH_ERROR naming the supply callback's panic", res.Class, res.Reason)
	}
	assertSafe(t, fb)
}

// unfiredSale is the fake sale with a sag due after the scenario is over:
// it never fires.
const unfiredSale = `name: sag that never comes
card: visa-credit
timeout: 10s
faults:
  - sag: {to: 3.9V}
    when: {after: 9s}%s
steps:
  - sale: 12.50
  - insert: chip
expect:
  outcome: APPROVED
`

// TestUnfiredFaultReported: a fault whose trigger never came is named in
// the result and the transcript; the verdict stands.
func TestUnfiredFaultReported(t *testing.T) {
	_, r := fakeRig(t)
	res := run(t, context.Background(), r, parse(t, fmt.Sprintf(unfiredSale, "")))
	if res.Class != verdict.Pass {
		t.Fatalf("got %s (%s), want PASS", res.Class, res.Reason)
	}
	if len(res.Unfired) != 1 || !strings.Contains(res.Unfired[0], "sag") {
		t.Errorf("unfired %q, want the sag", res.Unfired)
	}
	found := false
	for _, l := range res.Evidence.Transcript {
		found = found || strings.Contains(l.Text, "never fired")
	}
	if !found {
		t.Errorf("the transcript does not say the sag never fired")
	}
}

// TestMustFireFaultFails: a must_fire fault that never fired turns the
// PASS into a FAIL that says so.
func TestMustFireFaultFails(t *testing.T) {
	_, r := fakeRig(t)
	res := run(t, context.Background(), r, parse(t, fmt.Sprintf(unfiredSale, "\n    must_fire: true")))
	if res.Class != verdict.Fail || !strings.Contains(res.Reason, "never fired") {
		t.Fatalf("got %s (%s), want FAIL: never fired", res.Class, res.Reason)
	}
}

// TestScenarioDUTConfigReachesTheLaunch: a scenario's dut.config is
// handed to every launch of the DUT, and the transcript says so.
func TestScenarioDUTConfigReachesTheLaunch(t *testing.T) {
	fb, r := fakeRig(t, func(b *bench.Bench) {
		b.DUT.Process.Config = map[string]any{"timeouts": map[string]any{"host": "2s"}}
	})
	sc := parse(t, sale+"dut:\n  config:\n    timeouts: {host: 1s}\n")
	res := run(t, context.Background(), r, sc)
	if res.Class != verdict.Pass {
		t.Fatalf("verdict %s: %s", res.Class, res.Reason)
	}
	if fb.Log.Index(`terminal config {"timeouts":{"host":"1s"}}`) < 0 {
		t.Errorf("the launch was not given the scenario's config:\n%s", fb.Log)
	}
	said := false
	for _, l := range res.Evidence.Transcript {
		said = said || strings.Contains(l.Text, `the scenario's dut.config over the bench's: {"timeouts":{"host":"1s"}}`)
	}
	if !said {
		t.Errorf("the transcript does not say the config was changed:\n%v", res.Evidence.Transcript)
	}
}
