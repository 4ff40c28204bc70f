package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/plan"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

// ErrAborted is the reason of a scenario stopped from outside (Ctrl-C).
var ErrAborted = errors.New("aborted")

// run is the state of one scenario on the rig.
type run struct {
	rig     *Rig
	sc      *scenario.Scenario
	profile *emvcard.Profile
	rec     *recorder
	apdus   *evidence.APDULog
	faults  []evidence.TimelineEntry
	faultMu sync.Mutex

	// lc owns the DUT process and the bench's state for this scenario.
	lc      *Lifecycle
	dutLog  *boundedBuffer // the DUT's output, across restarts
	dutVars map[string]string
	dutArgs []string
	// procLink is the process adapter's link (adapter process), whose
	// pipes change when the DUT restarts.
	procLink *lazyProcess
	sess     *session
	sched    *fault.Schedule
	target   *target
	// dupes counts frames the DUT sent again (duplicates received).
	dupes atomic.Int64
	// naksOpen counts NAKs poshil sent since the DUT's last good frame:
	// above zero when a wait fails, the DUT never resent a NAKed frame.
	naksOpen atomic.Int64
	// untrigger removes byte-count triggers set on the line proxy.
	untrigger []func()
	stopRx    context.CancelFunc
	// cancel ends the scenario with a cause (a bench error, a panic in a
	// goroutine the run started).
	cancel context.CancelCauseFunc
	slot   InsertedCard
	// atrAltered: a fault changed the inserted card's ATR (mute, bad), so
	// a terminal that never sends it a command is doing its job.
	atrAltered bool
	cursor     int       // next message a step looks at
	firstAt    time.Time // when the first step acted
	seq        int
	txns       txnMarks // where the last transaction started, the last sale's ref
	// waits are the spans spent waiting on the DUT, the card or a
	// configured time, for the harness overhead.
	waits *waitClock
	// safeErr is what kept the safe state from being reached cleanly (a
	// fault whose Clear did not finish, a fault that panicked): the
	// scenario's verdict becomes BENCH_ERROR, whatever the DUT said.
	safeErr error
	// clock is the FAKETIME value DUT processes start with (fault
	// clock); "" is the real clock.
	clock   string
	clockMu sync.Mutex
	// storageFull: DUT processes run with a file-size limit of 0 (fault
	// storage_full); guarded by clockMu.
	storageFull bool
}

// Run runs one scenario and returns its verdict. The bench is back in its
// safe state when Run returns, whatever happened.
func (r *Rig) Run(ctx context.Context, sc *scenario.Scenario) verdict.Result {
	return r.RunWith(ctx, sc, nil)
}

// RunWith is Run with extra DUT arguments for this scenario only (e.g.
// --mutant NAME for the reference terminal).
func (r *Rig) RunWith(ctx context.Context, sc *scenario.Scenario, dutArgs []string) (res verdict.Result) {
	res = verdict.Result{Scenario: sc.Name, File: sc.File, Labels: sc.Labels, Started: time.Now()}
	ru := &run{rig: r, sc: sc, rec: newRecorder(), dutArgs: append(slices.Clone(r.opts.DUTArgs), dutArgs...),
		dutLog: &boundedBuffer{limit: dutLogLimit}, waits: &waitClock{}}
	ru.apdus = evidence.NewAPDULog(ru.rec.start)
	if live := r.opts.Live; live != nil {
		ru.rec.live = func(l verdict.Line) { live(sc.Name, l) }
	}
	defer func() {
		res.Duration = time.Since(res.Started)
		ru.judgeUnfired(&res)
		ev := &verdict.Evidence{Transcript: ru.rec.snapshot(), APDUs: ru.apdus.Entries(), Events: ru.apdus.Timeline()}
		ev.Receipts = ru.receiptEvidence()
		if r.host != nil {
			ev.Host = evidence.HostEntries(r.host.Journal(), ru.rec.start)
		}
		ru.faultMu.Lock()
		ev.Faults = ru.faults
		ru.faultMu.Unlock()
		if r.parts.DUT != nil {
			ev.DUTLog = ru.rec.scrub.String(ru.dutLog.String())
		}
		if o, ok := ru.finalResultIfAny(); ok && !ru.firstAt.IsZero() {
			ev.Measurements = append(ev.Measurements, evidence.Millis("time_to_result_ms", o.at.Sub(ru.firstAt), sc.Expect.Within))
		}
		ev.Measurements = append(ev.Measurements, evidence.Millis(OverheadMeasurement, ru.waits.overhead(res.Started, res.Started.Add(res.Duration)), 0))
		res.Evidence = ev
		// A bench that did not reach its safe state cleanly cannot vouch
		// for what the DUT said: a fault may have stayed active.
		if ru.safeErr != nil && (res.Class == verdict.Pass || res.Class == verdict.Fail) {
			was := string(res.Class)
			if res.Reason != "" {
				was += ": " + res.Reason
			}
			res.Class, res.Reason = verdict.BenchError, "safe state: "+ru.safeErr.Error()+" (the verdict was "+was+")"
			ru.rec.add("poshil", "verdict "+string(res.Class)+" "+res.Reason)
			ev.Transcript = ru.rec.snapshot()
		}
		// The oracle holds until the safe state: a report that came
		// after the verdict turns a PASS into a FAIL.
		if res.Class == verdict.Pass {
			if err := ru.holdToSafeState(); err != nil {
				res.Class, res.Reason = verdict.Fail, "after the verdict, before the safe state: "+err.Error()
				ru.rec.add("poshil", "verdict "+string(res.Class)+" "+res.Reason)
				ev.Transcript = ru.rec.snapshot()
			}
		}
		res.Secrets = ru.rec.scrub
	}()
	if err := r.CheckScenario(sc); err != nil {
		res.Class, res.Reason = verdict.Invalid, err.Error()
		return res
	}
	if sc.Card.Name != "" {
		ru.profile, _ = cards.Lookup(sc.Card.Name)
		ru.rec.scrub = runSecrets(ru.profile)
	}
	tctx, cancelT := context.WithTimeout(ctx, sc.Timeout)
	defer cancelT()
	sctx, cancel := context.WithCancelCause(tctx)
	ru.cancel = cancel
	defer cancel(nil)
	defer ru.safe(sctx)
	ru.goGuarded("rig watch", func() { r.watch(sctx, cancel) })
	defer func() {
		if p := recover(); p != nil {
			res.Class = verdict.BenchError
			res.Reason = fmt.Sprintf("%v: %v\n%s", ErrPanic, p, debug.Stack())
			ru.rec.add("poshil", "verdict "+string(res.Class)+" "+res.Reason)
		}
	}()
	out, err := ru.execute(sctx)
	res.Outcome = out
	// The rig breaking wins over whatever the DUT said meanwhile: a DUT
	// that lost its reader is not to blame.
	if cause := context.Cause(sctx); errors.Is(cause, verdict.ErrBench) {
		err = cause
	} else if herr := r.healthy(ctx); herr != nil {
		err = herr
	}
	res.Class, res.Reason = classify(ctx, err)
	if res.Class == verdict.Fail {
		// Before blaming the firmware, make sure the rig did not fail
		// under it (pcscd going down makes the DUT's reader fail first).
		if berr := ru.confirmRig(ctx); berr != nil {
			res.Class, res.Reason = verdict.BenchError, berr.Error()+" (the DUT's report was: "+res.Reason+")"
		} else if berr := ru.cardOutcomeUnseen(res.Outcome); berr != nil {
			res.Class, res.Reason = verdict.BenchError, berr.Error()+" (the check said: "+res.Reason+")"
		}
	}
	ru.rec.add("poshil", fmt.Sprintf("verdict %s %s", res.Class, res.Reason))
	return res
}

// CheckScenario checks what a scenario names against the shelf and this
// bench, so a scenario the bench cannot run is INVALID, not FAIL.
func (r *Rig) CheckScenario(sc *scenario.Scenario) error {
	return CheckScenario(sc, r.Parts())
}

// Parts lists what this bench has for faults to act on.
func (r *Rig) Parts() []fault.Part {
	return BenchParts(r.Bench)
}

// CheckScenario checks what a scenario names against the shelf and a bench's
// parts (see BenchParts): cards exist, the bench can present emulated cards,
// its host is emulated for host expectations, and it has every part the
// scenario's faults need. Errors are file:line:col.
func CheckScenario(sc *scenario.Scenario, parts []fault.Part) error {
	return plan.Check(sc, parts)
}

// classify turns the error a scenario ended with into its verdict.
func classify(parent context.Context, err error) (verdict.Class, string) {
	switch {
	case err == nil:
		return verdict.Pass, ""
	case parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded):
		return verdict.BenchError, fmt.Sprintf("%v: %v", ErrAborted, err)
	case errors.Is(err, verdict.ErrBench):
		return verdict.BenchError, err.Error()
	case errors.Is(err, yamldoc.ErrInvalid):
		return verdict.Invalid, err.Error()
	}
	return verdict.Fail, err.Error()
}

// execute boots the DUT, runs the steps and checks the final expectations.
// It returns the final outcome the DUT reported, if any. A fault the bench
// could not do (fault.ErrUnsupported: a relay asked for a voltage) wins
// over what the steps and checks said: the DUT was not put to the test.
func (ru *run) execute(ctx context.Context) (code string, err error) {
	defer func() {
		if ru.sched == nil || errors.Is(err, verdict.ErrBench) {
			return
		}
		if ferr := ru.sched.Err(); errors.Is(ferr, fault.ErrUnsupported) {
			err = verdict.Bench("fault injection", ferr)
		}
	}()
	if err := ru.boot(ctx); err != nil {
		return "", err
	}
	for i := range ru.sc.Faults {
		if err := ru.arm(ctx, &ru.sc.Faults[i]); err != nil {
			return "", err
		}
	}
	for i := range ru.sc.Steps {
		st := &ru.sc.Steps[i]
		ru.rec.add("poshil", fmt.Sprintf("step %d: %s", i+1, st.Name()))
		if ru.firstAt.IsZero() {
			ru.firstAt = time.Now()
		}
		if err := ru.step(ctx, st); err != nil {
			return ru.finalCode(), fmt.Errorf("step %d (%s:%d:%d, %s): %w", i+1, ru.sc.File, st.Line, st.Col, st.Name(), err)
		}
	}
	code, err = ru.checkFinal(ctx)
	if ferr := ru.sched.Err(); ferr != nil && err == nil {
		return code, verdict.Bench("fault injection", ferr)
	}
	return code, err
}

// boot starts the DUT (when the bench starts it) and waits for READY.
func (ru *run) boot(ctx context.Context) error {
	r := ru.rig
	if r.host != nil {
		r.host.Reset()
	}
	r.resetHostTLS()
	actx, cancel := context.WithTimeout(ctx, emptyBound)
	defer cancel()
	emptyAt := time.Now()
	err := r.parts.Reader.WaitEmpty(actx)
	ru.waits.since(waitCard, emptyAt)
	if err != nil {
		return verdict.Bench("card reader "+r.Bench.Card.Reader, fmt.Errorf("a card is in the reader before the scenario starts: %w", err))
	}
	if err := r.parts.ECR.Flush(); err != nil {
		return verdict.Bench("ecr line", err)
	}
	if r.msrPTY != nil {
		if err := r.msrPTY.Flush(); err != nil {
			return verdict.Bench("msr line", err)
		}
	}
	if err := r.resetPrinter(); err != nil {
		return err
	}
	if err := r.resetKeypad(); err != nil {
		return err
	}
	var l Link
	if r.Bench.DUT.Adapter == "process" {
		ru.procLink = &lazyProcess{}
		l = ru.procLink
	} else {
		el, err := r.parts.ECR.Link(ru.tap, ru.lineTap)
		if err != nil {
			return fmt.Errorf("%w: %w", yamldoc.ErrInvalid, err)
		}
		l = el
	}
	ru.sess = newSession(l, ru.rec)
	ru.sess.waited = func(start time.Time) { ru.waits.since(waitDUT, start) }
	ru.lc = NewLifecycle(ru.lifecycleHooks())

	ru.target = &target{ru: ru}
	ru.target.card = &cardSide{ru: ru}
	ru.sched = fault.NewSchedule(context.WithoutCancel(ctx), ru.target)
	r.sched.Store(ru.sched)
	r.current.Store(ru)
	if r.line == nil {
		// No line proxy (a real line): ECR triggers fire on receipt.
		ru.sess.onMessage = func(m ecr.Message) {
			text, _ := m.Get("text")
			ru.sched.Notify(fault.Event{Kind: fault.EventECR, ECR: string(m.Kind), Text: text})
		}
	}
	if r.parts.DUT != nil {
		dir, err := os.MkdirTemp(r.workdir, "scenario-")
		if err != nil {
			return verdict.Bench("workdir", err)
		}
		ru.dutVars = map[string]string{
			"{config}":     filepath.Join(dir, "dut-config.json"),
			"{ecr}":        r.ecrPath(),
			"{msr}":        r.msrPath(),
			"{reader}":     r.Bench.Card.Reader,
			"{host}":       r.dutHost,
			"{journal}":    filepath.Join(dir, "journal"),
			"{supply}":     r.supplyPath(),
			"{workdir}":    dir,
			bench.BenchDir: r.Bench.Dir(),
			"{printer}":    r.printerPath(),
			bench.HostCA:   r.hostCA,
			bench.Resolver: r.resolverAddr(),
			"{keypad}":     r.keypadPath(),
		}
		// A part the DUT cannot open is the bench's fault: check before
		// the DUT starts, so it is not taken for the DUT's failure.
		if err := checkPorts(ru.dutVars); err != nil {
			return err
		}
		ru.noteDUTConfig()
	}
	ru.clockAtBoot()
	if _, err := ru.lc.PowerOn(ctx); err != nil {
		return err
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ru.stopRx = stop
	ru.goGuarded("receive loop", func() { ru.sess.receive(rctx) })
	if r.parts.DUT == nil {
		if err := ru.sess.send(ctx, ecr.Message{Kind: ecr.Status}); err != nil {
			return err
		}
	}
	if err := ru.waitReady(ctx); err != nil {
		return err
	}
	return ru.lc.Ready(ctx)
}

// emptyBound is how long a scenario waits for the reader to report its
// slot empty (vpcd polls presence every 400 ms).
const emptyBound = 3 * time.Second

// beginSale tells the lifecycle a sale is sent. A sale to a DUT that is
// off or booting is the scenario's choice (the terminal is judged on what
// it does with it); the transcript says so.
func (ru *run) beginSale(ctx context.Context) {
	if ru.lc == nil { // a conversation driven without a bench (tests)
		return
	}
	if err := ru.lc.Begin(ctx); err != nil {
		ru.rec.add("poshil", "sale sent while the bench is not ready: "+err.Error())
	}
}

// lineTap records a text-protocol DUT's lines (already masked by the
// adapter) in the transcript.
func (ru *run) lineTap(dir, line string) {
	ru.rec.add("dut-"+dir, line)
}

// lifecycleHooks start the DUT process (again, after a power cut) on the
// lifecycle's goroutine, and tell the session about its starts and cuts.
func (ru *run) lifecycleHooks() LifecycleHooks {
	h := LifecycleHooks{
		Cut: func() {
			ru.sess.setDUTDone(nil) // an intended death: waits go on until the reboot
			ru.rec.add("power", "DUT killed (power cut)")
		},
		Crashed: ru.crashed,
	}
	if ru.rig.parts.DUT == nil {
		return h
	}
	launcher := clockLauncher{ru: ru, l: ru.rig.parts.DUT}
	h.Launch = func() (Process, error) {
		if ru.procLink != nil && ru.rig.Bench.DUT.Prof != nil && ru.rig.Bench.DUT.Prof.PerSale != nil {
			return ru.perSaleDUT(launcher), nil
		}
		return launcher.Launch(Launch{Vars: ru.dutVars, Args: ru.dutArgs, Log: ru.dutLog, Pipes: ru.procLink != nil, Config: ru.dutConfig()})
	}
	h.Started = func(p Process) error {
		if ru.procLink != nil {
			if err := ru.procLink.attach(p, ru.rig.Bench.DUT.Prof, ru.lineTap); err != nil {
				return fmt.Errorf("%w: %w", yamldoc.ErrInvalid, err)
			}
		}
		ru.sess.setDUTDone(p.Done())
		if _, ok := p.(*perSaleDUT); ok {
			ru.rec.add("poshil", "DUT on: its program starts for each sale (per_sale)")
		} else {
			ru.rec.add("poshil", fmt.Sprintf("DUT started: pid %d", p.Pid()))
		}
		return nil
	}
	return h
}

// waitReady waits for the DUT's next READY within the boot timeout.
func (ru *run) waitReady(ctx context.Context) error {
	return ru.waitReadyFrom(ctx, &ru.cursor)
}

// waitReadyFrom waits for READY from message *from on.
func (ru *run) waitReadyFrom(ctx context.Context, from *int) error {
	r := ru.rig
	bctx, cancel := context.WithTimeout(ctx, r.Bench.DUT.BootTimeout)
	defer cancel()
	_, err := ru.sess.waitFor(bctx, from, "READY", func(m ecr.Message) (bool, error) {
		return m.Kind == ecr.Ready, nil
	})
	if err != nil {
		return ru.dutError(fmt.Errorf("terminal did not report READY within %v: %w", r.Bench.DUT.BootTimeout, err))
	}
	return nil
}

// dutError adds how the DUT process ended to err, when it has, and a
// frame poshil NAKed that the DUT never sent again.
func (ru *run) dutError(err error) error {
	if err == nil {
		return nil
	}
	if n := ru.naksOpen.Load(); n > 0 {
		err = fmt.Errorf("%w (the terminal never resent the ECR frame poshil NAKed: %d NAK(s) since its last good frame)", err, n)
	}
	if ru.lc == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if done, perr := ru.lc.Exited(ctx); done {
		return fmt.Errorf("%w (terminal process %s)", err, exitDescription(perr))
	}
	return err
}

// tap records line-level trouble (NAKs, retransmissions) in the transcript.
func (ru *run) tap(ev ecr.TapEvent) {
	if ev.Kind == ecr.TapDuplicate && ev.Dir == ecr.In {
		ru.dupes.Add(1)
	}
	switch {
	case ev.Kind == ecr.TapNak && ev.Dir == ecr.Out:
		ru.naksOpen.Add(1)
	case (ev.Kind == ecr.TapFrame || ev.Kind == ecr.TapDuplicate) && ev.Dir == ecr.In:
		ru.naksOpen.Store(0)
	}
	if s := tapText(ev); s != "" {
		ru.rec.add("line", s)
	}
}

// safe returns the bench to its safe state: DUT stopped first (so no
// fault's Clear can boot it again, and nothing a fault held reaches it),
// then faults cleared, parts reset, card out, receive loop ended. It runs
// with its own deadline even after cancellation.
func (ru *run) safe(parent context.Context) {
	ctx, cancel := cleanupContext(parent, ru.rig.opts.Cleanup)
	defer cancel()
	if ru.lc != nil {
		stopAt := time.Now()
		how, err := ru.lc.Safe(ctx)
		ru.waits.since(waitDUT, stopAt)
		switch {
		case err != nil:
			ru.rec.add("poshil", "safe state: stopping the DUT: "+err.Error())
		case how != "":
			ru.rec.add("poshil", "safe state: DUT stopped ("+how+")")
		}
	}
	if ru.sched != nil {
		ru.rig.sched.CompareAndSwap(ru.sched, nil)
		for _, rm := range ru.untrigger {
			rm()
		}
		if err := ru.sched.ClearAll(ctx); err != nil {
			ru.rec.add("poshil", "safe state: clearing faults: "+err.Error())
			ru.safeErr = verdict.Bench("clearing faults", err)
		}
	}
	ru.rig.current.CompareAndSwap(ru, nil)
	if ru.lc != nil {
		_ = ru.lc.Close(ctx)
	}
	if err := ru.rig.resetParts(); err != nil {
		ru.rec.add("poshil", "safe state: "+err.Error())
	}
	ru.recoverSlot(ctx)
	if ru.stopRx != nil {
		ru.stopRx()
		select {
		case <-ru.sess.done:
		case <-ctx.Done():
		}
		ru.sess.link.Close()
	}
}

// arm arms a fault spec; a byte-count trigger is counted by the line
// proxy from now on.
func (ru *run) arm(ctx context.Context, spec *fault.Spec) error {
	if n := spec.When.Bytes; n > 0 {
		if ru.rig.line == nil {
			return fmt.Errorf("fault %s: a bytes trigger needs the emulated ECR line: %w", spec.Name, fault.ErrUnsupported)
		}
		sched := ru.sched
		ru.untrigger = append(ru.untrigger, ru.rig.line.Proxy().SetTrigger(n, func() {
			sched.Notify(fault.Event{Kind: fault.EventBytes, Bytes: n})
		}))
	}
	if err := ru.sched.Arm(ctx, spec); err != nil {
		return verdict.Bench("fault "+spec.Name, err)
	}
	return nil
}

// settle is how long a FAIL waits for signs that the rig broke under the
// DUT before it is reported.
const settle = 500 * time.Millisecond

// confirmRig waits a moment for the card emulator's connection to drop (as
// it does when pcscd stops), then checks the rig's health afresh.
func (ru *run) confirmRig(ctx context.Context) error {
	t := time.NewTimer(settle)
	defer t.Stop()
	defer ru.waits.since(waitTimeout, time.Now())
	var slotDone <-chan struct{}
	if ru.slot != nil {
		slotDone = ru.slot.Done()
	}
	select {
	case <-slotDone:
		if err := ru.slot.Err(); err != nil && !errors.Is(err, vpcd.ErrCardPulled) &&
			!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return verdict.Bench("card emulator", fmt.Errorf("vpcd closed the card's connection (pcscd stopped?): %w", err))
		}
	case <-t.C:
	case <-ctx.Done():
	}
	return ru.rig.healthy(ctx)
}

// nextRef is a unique transaction reference within the scenario.
func (ru *run) nextRef() string {
	ru.seq++
	return "P" + strconv.Itoa(ru.seq)
}

// judgeUnfired reports the faults that never fired, and FAILs a PASS
// whose must_fire fault never did: the scenario did not test what it
// says.
func (ru *run) judgeUnfired(res *verdict.Result) {
	if ru.sched == nil || res.Class == verdict.Invalid {
		return
	}
	for _, sp := range ru.sched.Unfired() {
		desc := sp.String()
		if sp.ID != sp.Name {
			desc = sp.ID + ": " + desc
		}
		res.Unfired = append(res.Unfired, desc)
		ru.rec.add("poshil", "fault "+desc+" never fired")
		if sp.MustFire && res.Class == verdict.Pass {
			res.Class = verdict.Fail
			res.Reason = fmt.Sprintf("fault %s (must_fire, line %d) never fired: the terminal never gave its trigger, so the scenario did not test what it says", desc, sp.Line)
			ru.rec.add("poshil", "verdict "+string(res.Class)+" "+res.Reason)
		}
	}
}
