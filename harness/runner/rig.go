// Package runner brings a bench up, runs scenarios on it and returns each
// scenario's verdict with its evidence. After every scenario, and on abort
// (context cancelled, panic, failed step), it returns the bench to its safe
// state: DUT stopped first, then faults cleared, parts reset, card out
// (the reader reporting the slot empty), line drained.
//
// The run depends on the rig through small interfaces (Parts: reader and
// slot, DUT launcher, ECR line, host journal, network, supply); Up opens
// the real ones, package runnertest has fakes. The DUT process belongs to
// a Lifecycle (off, booting, ready, in a transaction, safe) that one
// goroutine runs: faults ask it for transitions and never start or stop
// processes themselves.
//
// It does not parse files (packages scenario and bench) nor write reports.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/poshil/poshil/drivers/lineproxy"
	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/drivers/pcsc"
	"github.com/poshil/poshil/drivers/power/emulated"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/hosttls"
	"github.com/poshil/poshil/fixtures/magstripe"
	"github.com/poshil/poshil/fixtures/nameserver"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/workdir"
)

// Options tune a rig.
type Options struct {
	// DUTArgs are appended to the DUT command line (e.g. --mutant NAME for
	// the reference terminal).
	DUTArgs []string
	// Lookup resolves the DUT program; nil looks beside the poshil binary,
	// in $POSHIL_BIN and on $PATH.
	Lookup func(name string) (string, error)
	// Live, when set, sees every transcript line as it is recorded (for
	// `poshil run --verbose`). Lines are masked like the evidence.
	Live func(scenario string, l verdict.Line)
	// Wait is how long Up waits for a bench another run holds; 0 fails
	// at once with a bench error naming the holder.
	Wait time.Duration
	// Notice, when set, gets what the rig tells the user (a killed run
	// cleaned up, a warning); nil prints to stderr.
	Notice func(msg string)
	// Pin finds a relay supply's GPIO pin by name; nil uses periph.io's
	// host drivers (HostPin).
	Pin PinFunc
	// Cleanup bounds the safe state after each scenario (stopping the
	// DUT, clearing faults, removing the card); 0 is 5 s. A fault whose
	// Clear does not finish within it makes the scenario BENCH_ERROR.
	Cleanup time.Duration
}

// Rig is a bench that is up: its parts opened and its emulated parts
// running. One scenario runs on it at a time.
type Rig struct {
	Bench *bench.Bench

	opts  Options
	parts Parts
	host  Host // parts.Host, for the checks

	// What Up opened, for Close and for the faults.
	pcsc     *pcsc.Client
	acq      *acquirer.Server
	line     *lineproxy.Emulated // the emulated ECR line, through the fault proxy
	netProxy *netproxy.Proxy     // between the DUT and the host, when the bench asks
	dutHost  string              // the host address the DUT is given
	front    *hosttls.Front      // the host's TLS, on a bench with host.tls
	hostCA   string              // the file of the host's CA ({host_ca})
	dns      *nameserver.Server  // answers the host's name, when the bench asks
	ecrPort  serial.Port
	supply   io.Closer // the supply Up opened: emulated, relay or SCPI
	msrPTY   *serial.PTY
	msr      *magstripe.MSR
	printer  *printerRig // the emulated receipt printer, or nil
	keypad   *keypadRig  // the emulated PIN pad, or nil
	workdir  string
	// sched is the running scenario's fault schedule, for event hooks
	// that live as long as the rig (line and network proxies).
	sched atomic.Pointer[fault.Schedule]
	// current is the running scenario, for the supply's power events.
	current atomic.Pointer[run]
	work    *workdir.Dir
	lease   *lease.Lease      // the bench's resources, for the rig's life
	slot    *vpcd.Reservation // the card slot, under lease
	// faultParts are the fault-facing parts beyond card, host and DUT
	// (msr, supply, line, network), as their packages' types.
	faultParts map[fault.Part]any
}

// New makes a rig of parts that are already open (in tests: the fakes of
// package runnertest). Close releases what New made (its work folder);
// the parts are the caller's.
func New(b *bench.Bench, p Parts, opts Options) (*Rig, error) {
	if p.Reader == nil || p.ECR == nil {
		return nil, fmt.Errorf("runner.New: a rig needs a reader and an ECR line")
	}
	r := newRig(b, opts)
	if err := r.openWork(); err != nil {
		return nil, err
	}
	r.use(p)
	return r, nil
}

func newRig(b *bench.Bench, opts Options) *Rig {
	if opts.Lookup == nil {
		opts.Lookup = bench.LookupProgram
	}
	return &Rig{Bench: b, opts: opts, faultParts: map[fault.Part]any{}}
}

// use wires the run-facing parts in.
func (r *Rig) use(p Parts) {
	r.parts = p
	r.host = p.Host
	if p.Supply != nil {
		r.faultParts[fault.PartSupply] = p.Supply
		p.Supply.OnChange(r.onSupply)
	}
	if p.Network != nil {
		r.faultParts[fault.PartNetwork] = p.Network
	}
}

// Up opens every part of b. Any failure is a bench error naming the part;
// parts already opened are closed again.
func Up(ctx context.Context, b *bench.Bench, opts Options) (_ *Rig, err error) {
	r := newRig(b, opts)
	p := Parts{}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if err := r.leaseBench(ctx); err != nil {
		return nil, err
	}
	if err := r.openWork(); err != nil {
		return nil, err
	}
	r.pcsc, err = pcsc.Open()
	if err != nil {
		return nil, verdict.Bench("pcsc", err)
	}
	readers, err := r.pcsc.Readers(ctx)
	if err != nil {
		return nil, verdict.Bench("pcsc", err)
	}
	if !slices.Contains(readers, b.Card.Reader) {
		return nil, verdict.Bench("pcsc", fmt.Errorf("reader %q not found (readers: %q): %w", b.Card.Reader, readers, pcsc.ErrNoReader))
	}
	p.Reader = pcscReader{r: r.pcsc.Reader(b.Card.Reader), name: b.Card.Reader}
	if b.Card.Emulator != "" {
		p.Slot = reservedSlot{r}
	}
	if b.DUT.Process != nil {
		p.DUT = processLauncher{p: b.DUT.Process, lookup: r.opts.Lookup}
	}
	hostAddr := b.Host.Address
	if h := b.Host.Emulated; h != nil {
		r.acq, err = acquirer.NewServer(acquirer.Config{Default: h.Default, Rules: h.Rules, Issuers: cards.IssuerKeys(),
			Terminals: h.Terminals, MAC: h.MAC})
		if err != nil {
			return nil, verdict.Bench("host", err)
		}
		p.Host = r.acq
		if err := r.openHostTLS(); err != nil {
			return nil, verdict.Bench("host tls", err)
		}
		// The host lives as long as the rig, not as long as ctx (Up's caller
		// may pass a short-lived one): Close stops it.
		addr, err := r.acq.Start(context.WithoutCancel(ctx), h.Listen)
		if err != nil {
			return nil, verdict.Bench("host", err)
		}
		hostAddr = addr.String()
	}
	r.dutHost = hostAddr
	if b.Host.Proxy {
		r.netProxy = netproxy.New(hostAddr, r.proxyOptions())
		addr, err := r.netProxy.Start(context.WithoutCancel(ctx), "127.0.0.1:0")
		if err != nil {
			return nil, verdict.Bench("network proxy", err)
		}
		r.dutHost = addr.String()
		p.Network = r.netProxy
		// MTI triggers fire before the message reaches the host.
		r.netProxy.OnMessage(func(d netproxy.Direction, mti string) {
			if s := r.sched.Load(); s != nil && d == netproxy.ToHost {
				s.Notify(fault.Event{Kind: fault.EventMTI, MTI: mti})
			}
		})
	}
	if err := r.startDNS(ctx); err != nil {
		return nil, err
	}
	if b.MSR != nil && b.MSR.Emulated() {
		r.msrPTY, err = serial.NewPTY()
		if err != nil {
			return nil, verdict.Bench("msr line", err)
		}
		r.msr = magstripe.NewMSR(r.msrPTY.Port())
		if b.MSR.Format != "" {
			r.msr.SetFormat(magstripe.Format(b.MSR.Format))
		}
		r.faultParts[fault.PartMSR] = r.msr
	}
	if err := r.openPrinter(); err != nil {
		return nil, err
	}
	if err := r.openKeypad(); err != nil {
		return nil, err
	}
	if pw := b.Power; pw != nil {
		if p.Supply, err = r.openSupply(ctx, pw); err != nil {
			return nil, err
		}
	}
	if b.ECR.Emulated() || b.ECR.Proxy {
		if b.ECR.Emulated() {
			r.line, err = lineproxy.NewEmulated(context.WithoutCancel(ctx), lineproxy.Options{})
		} else {
			r.line, err = joinLine(ctx, b.ECR)
		}
		if err != nil {
			return nil, verdict.Bench("ecr line", err)
		}
		r.ecrPort = r.line.HarnessPort()
		r.faultParts[fault.PartLine] = r.line.Proxy()
		// ECR triggers fire before the DUT's frame reaches the harness.
		r.line.Proxy().OnFrame(func(f lineproxy.Frame) {
			if s := r.sched.Load(); s != nil && f.Dir == lineproxy.FromDUT {
				text, _ := f.Msg.Get("text")
				s.Notify(fault.Event{Kind: fault.EventECR, ECR: string(f.Msg.Kind), Text: text})
			}
		})
	} else if b.ECR.Port != "" {
		r.ecrPort, err = openLine(ctx, b.ECR)
		if err != nil {
			return nil, verdict.Bench("ecr line", err)
		}
	}
	p.ECR = serialECR{port: r.ecrPort, line: r.line, adapter: b.DUT.Adapter, prof: b.DUT.Prof}
	r.use(p)
	if left := r.lease.Left(); len(left) > 0 {
		if err := r.restoreLeft(ctx, left); err != nil {
			return nil, err
		}
		r.lease.Restored()
	}
	return r, nil
}

// Host is the emulated acquirer, or nil on a bench with a real host.
func (r *Rig) Host() *acquirer.Server { return r.acq }

// Close releases every part; it is safe on a partly opened rig.
func (r *Rig) Close() error {
	var errs []error
	if r.line != nil {
		errs = append(errs, r.line.Close())
	} else if r.ecrPort != nil {
		errs = append(errs, r.ecrPort.Close())
	}
	if r.dns != nil {
		errs = append(errs, r.dns.Close())
	}
	if r.netProxy != nil {
		errs = append(errs, r.netProxy.Close())
	}
	if r.msrPTY != nil {
		errs = append(errs, r.msrPTY.Close())
	}
	errs = append(errs, r.closePrinter())
	errs = append(errs, r.closeKeypad())
	if r.acq != nil {
		errs = append(errs, r.acq.Close())
	}
	if r.pcsc != nil {
		errs = append(errs, r.pcsc.Close())
	}
	if r.supply != nil {
		errs = append(errs, r.supply.Close())
	}
	if r.slot != nil {
		r.slot.Release()
	}
	errs = append(errs, r.work.Remove())
	r.lease.Release()
	return errors.Join(errs...)
}

// ecrPath is what the DUT opens for the ECR line: "" for a line the DUT
// has its own end of (a remote port, a proxied real line).
func (r *Rig) ecrPath() string {
	if r.line != nil {
		return r.line.DUTPath()
	}
	if r.Bench.ECR.Remote() {
		return ""
	}
	return r.Bench.ECR.Port
}

// BenchParts lists what a bench has for faults to act on.
func BenchParts(b *bench.Bench) []fault.Part {
	return b.Parts()
}

// msrPath is what the DUT opens for the MSR line, or "".
func (r *Rig) msrPath() string {
	switch {
	case r.msrPTY != nil:
		return r.msrPTY.Path()
	case r.Bench.MSR != nil:
		return r.Bench.MSR.Port
	}
	return ""
}

// supplyPath is the emulated supply's state file, or "".
func (r *Rig) supplyPath() string {
	if r.parts.Supply == nil {
		return ""
	}
	return r.parts.Supply.Path()
}

// onSupply makes the emulated supply's output real for the DUT process:
// output off kills it at once (a power cut), output on boots it again.
// Voltage changes reach the DUT through the state file it reads.
// A panic in it is recovered, recorded, and ends the scenario (then in
// its safe state) as a bench error.
func (r *Rig) onSupply(ctx context.Context, c emulated.Change) (err error) {
	ru := r.current.Load()
	if ru == nil {
		return nil
	}
	defer ru.recoverInto("supply callback", &err)
	ru.rec.add("power", fmt.Sprintf("supply %s -> %s", c.From, c.To))
	switch {
	case c.From.Output && !c.To.Output:
		return dutSide{ru}.Kill(ctx)
	case !c.From.Output && c.To.Output:
		return dutSide{ru}.Start(ctx)
	}
	return nil
}

// resetParts returns the rig's fault-bearing parts to normal between
// scenarios, whatever a fault's Clear did or did not do.
func (r *Rig) resetParts() error {
	var errs []error
	if r.parts.Network != nil {
		r.parts.Network.ResetAll()
	}
	if r.host != nil {
		r.host.ResetBehaviour()
	}
	r.resetHostTLS()
	if r.parts.Supply != nil {
		// Output on at nominal; the lifecycle is safe, so no DUT boots.
		if err := r.parts.Supply.Halt(); err != nil {
			errs = append(errs, verdict.Bench("supply", err))
		}
	}
	return errors.Join(errs...)
}

// watchEvery is how often a running scenario checks the rig.
const watchEvery = 250 * time.Millisecond

// watch checks the rig while a scenario runs and cancels it with a bench
// error when a part goes away (pcscd stopped, reader gone), so the
// scenario ends as BENCH_ERROR within about a second instead of blaming
// the DUT for what the rig did.
func (r *Rig) watch(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.healthy(ctx); err != nil {
			cancel(err)
			return
		}
	}
}

// healthy checks that pcscd answers, the DUT's reader is still there and
// the ECR line works.
func (r *Rig) healthy(ctx context.Context) error {
	if err := r.parts.Reader.Healthy(ctx); err != nil {
		return err
	}
	if err := r.printerHealthy(); err != nil {
		return err
	}
	return r.parts.ECR.Err()
}
