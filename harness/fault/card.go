package fault

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Chip faults act on the emulated card through emvcard.Hooks installed
// with CardSide.AddHooks; they reach the card in play and any card
// inserted while they are active. Each keeps the remove func AddHooks
// gave it: Clear calls it once, so Clear is idempotent and harmless when
// Inject failed or never ran. Command matching (command or ins, nth)
// counts APDUs as the reader sends them, from the injection: on a T=0
// card a command repeated after 6Cxx counts twice, and GET RESPONSE is a
// command of its own.
func init() {
	Register("mute_card", "chip: the card gives no usable ATR (34 bytes); the reader reports it unpowered/mute at the next power-up (CHIP_ERROR)",
		func() Fault { return &MuteCard{} })
	Register("bad_atr", "chip: malformed ATR at the next power-up: {atr: hex}, default the card's with a bit error in TS: PC/SC protocol mismatch (CHIP_ERROR)",
		func() Fault { return &BadATR{} })
	Register("status_word", "chip: the card answers a status word instead: {command: GPO | ins: A8, sw: \"6985\", nth: N (from 1; left out: every match)}",
		func() Fault { return &StatusWord{} })
	Register("slow_card", "chip: the card answers after a delay: {command | ins, delay: 2s (at most 30s), nth: N (from 1; left out: every match)}",
		func() Fault { return &SlowCard{} })
	Register("card_pulled", "chip: the card vanishes at an APDU, mid-exchange: {command | ins, nth: N (default 1)} (CARD_REMOVED)",
		func() Fault { return &CardPulled{} })
	Register("app_blocked", "chip: SELECT of an application answers its FCI with 6283; {sw: \"6A81\"}: the card is blocked, every SELECT answers 6A81 (CARD_BLOCKED)",
		func() Fault { return &AppBlocked{} })
	Register("no_supported_app", "chip: every SELECT by name (PSE, PPSE, AIDs) answers 6A82 (CARD_NOT_SUPPORTED)",
		func() Fault { return &NoSupportedApp{} })
	Register("expired_app", "chip: records show an expiry date in the past (5F24, 57): {expiry: YYMM}, default last month (EXPIRED_CARD)",
		func() Fault { return &ExpiredApp{} })
	Register("pin_tries", "chip: the card's PIN try counter is preset: {left: N}",
		func() Fault { return &PINTries{} })
	Register("pin_blocked", "chip: the card's PIN try counter is 0: VERIFY answers 6983 (PIN_TRIES_EXCEEDED)",
		func() Fault { return &PINBlocked{} })
}

// maxCardDelay bounds slow_card: vpcd has no timeout of its own, so a card
// that never answers wedges the reader until it is pulled.
const maxCardDelay = 30 * time.Second

// errCardPulled is what card_pulled's interceptor returns: the vpcd slot
// closes the connection, as a card pulled mid-APDU.
var errCardPulled = errors.New("card pulled by fault card_pulled")

// cardHooks is the part every chip fault shares: the hooks it installed.
type cardHooks struct {
	mu     sync.Mutex
	remove func()
}

// Needs: an emulated card.
func (*cardHooks) Needs() []Part { return []Part{PartCard} }

// install adds h to the bench's card side, once.
func (c *cardHooks) install(t Target, name string, h emvcard.Hooks) error {
	cs := t.Card()
	if cs == nil {
		return fmt.Errorf("%s: %w: no emulated card on this bench", name, ErrUnsupported)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remove == nil {
		c.remove = cs.AddHooks(h)
	}
	return nil
}

// Clear removes the fault's hooks, if installed.
func (c *cardHooks) Clear(context.Context, Target) error {
	c.mu.Lock()
	remove := c.remove
	c.remove = nil
	c.mu.Unlock()
	if remove != nil {
		remove()
	}
	return nil
}

// hits returns a func that reports whether a command is one a fault acts
// on: its INS matches m (any command when m names none) and it is the
// nth such command since now (nth 0: every one).
func hits(m APDUMatch, nth int) (func(emvcard.Command) bool, error) {
	ins, one, err := m.INSByte()
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	seen := 0
	return func(cmd emvcard.Command) bool {
		if one && cmd.INS != ins {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		return nth == 0 || seen == nth
	}, nil
}

// MuteCard makes the card answer reset with 34 bytes, longer than any ATR:
// pcscd reports the card unpowered (mute). It shows at the next power-up.
type MuteCard struct{ cardHooks }

// Inject installs the ATR hook.
func (f *MuteCard) Inject(_ context.Context, t Target) error {
	return f.install(t, "mute_card", emvcard.Hooks{ATR: func([]byte) []byte { return append([]byte(nil), vpcd.MuteATR...) }})
}

// BadATR makes the card answer reset with a malformed ATR; it shows at
// the next power-up. By default the card's own ATR with a bit error in TS
// (3B becomes 3A): pcsc-lite then refuses the card with a protocol
// mismatch. pcsc-lite only refuses an ATR with a bad TS or under 2 bytes;
// any other ATR given reaches the terminal, which must judge it itself.
type BadATR struct {
	cardHooks
	// ATR is the ATR to give, 1-33 bytes that are no good EMV ATR.
	ATR emvcard.Hex `yaml:"atr"`
}

// Check: 1-33 bytes (more is mute_card), not a good EMV ATR.
func (f *BadATR) Check(n *yaml.Node) error {
	switch _, err := emvcard.CheckEMVATR(f.ATR); {
	case f.ATR == nil:
	case len(f.ATR) == 0 || len(f.ATR) > 33:
		return yamldoc.At(yamldoc.FindOr(n, "atr"), "bad_atr.atr: want 1-33 bytes (for no usable ATR, use mute_card)")
	case err == nil:
		return yamldoc.At(yamldoc.FindOr(n, "atr"), "bad_atr.atr: %s is a good EMV ATR", f.ATR)
	}
	return nil
}

// Inject installs the ATR hook.
func (f *BadATR) Inject(_ context.Context, t Target) error {
	given := append([]byte(nil), f.ATR...)
	return f.install(t, "bad_atr", emvcard.Hooks{ATR: func(atr []byte) []byte {
		if len(given) > 0 && len(given) <= 33 {
			return append([]byte(nil), given...)
		}
		out := append([]byte(nil), atr...)
		if len(out) > 0 {
			out[0] ^= 0x01 // a bit error in TS
		}
		return out
	}})
}

// StatusWord answers matching commands with a status word (no data)
// instead of letting the card answer.
type StatusWord struct {
	cardHooks
	APDUMatch `yaml:",inline"`
	// SW is the status word, four hex digits ("6985").
	SW string `yaml:"sw"`
}

// Check validates the match and the status word.
func (f *StatusWord) Check(n *yaml.Node) error {
	if err := f.APDUMatch.check(n, "status_word", "every match"); err != nil {
		return err
	}
	if _, err := parseSW(f.SW); err != nil {
		return yamldoc.At(yamldoc.FindOr(n, "sw"), "status_word.sw: %v", err)
	}
	return nil
}

// Inject installs the interceptor.
func (f *StatusWord) Inject(_ context.Context, t Target) error {
	sw, err := parseSW(f.SW)
	if err != nil {
		return fmt.Errorf("status_word: %w", err)
	}
	hit, err := hits(f.APDUMatch, f.Nth)
	if err != nil {
		return fmt.Errorf("status_word: %w", err)
	}
	return f.install(t, "status_word", emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		if hit(cmd) {
			return emvcard.Respond(nil, sw), nil
		}
		return next(ctx, cmd)
	}})
}

// parseSW reads a status word: four hex digits whose SW1 is 61-6F or
// 90-9F (ISO/IEC 7816-4; 60 is a T=0 procedure byte, not a status).
func parseSW(s string) (uint16, error) {
	v, err := strconv.ParseUint(s, 16, 16)
	if err != nil || len(s) != 4 || strings.Trim(s, "0123456789abcdefABCDEF") != "" {
		return 0, fmt.Errorf("want four hex digits such as 6985, got %q", s)
	}
	if sw1 := v >> 8; !(sw1 >= 0x61 && sw1 <= 0x6F || sw1 >= 0x90 && sw1 <= 0x9F) {
		return 0, fmt.Errorf("%q: SW1 %02X is no status (want 61-6F or 90-9F)", s, sw1)
	}
	return uint16(v), nil
}

// SlowCard delays the card's answer to matching commands. The delay ends
// early when the card is pulled (ctx), and is at most 30 s. Clear lets an
// answer being delayed go when its delay ends; Drop (the scenario's end)
// ends the delay at once with the card gone, never answering late.
type SlowCard struct {
	cardHooks
	APDUMatch `yaml:",inline"`
	// Delay before the card answers, up to 30s.
	Delay time.Duration `yaml:"delay"`

	stopMu sync.Mutex
	stop   chan struct{} // closed by Drop: delayed answers are dropped
}

// Check validates the match and the delay.
func (f *SlowCard) Check(n *yaml.Node) error {
	if err := f.APDUMatch.check(n, "slow_card", "every match"); err != nil {
		return err
	}
	if f.Delay <= 0 || f.Delay > maxCardDelay {
		return yamldoc.At(yamldoc.FindOr(n, "delay"), "slow_card.delay: want more than 0 and at most %v (vpcd has no timeout: a longer stall wedges the reader), got %v", maxCardDelay, f.Delay)
	}
	return nil
}

// MaxDelay implements Delayer: the delay of each matching answer.
func (f *SlowCard) MaxDelay() time.Duration { return min(max(f.Delay, 0), maxCardDelay) }

// Inject installs the interceptor.
func (f *SlowCard) Inject(_ context.Context, t Target) error {
	hit, err := hits(f.APDUMatch, f.Nth)
	if err != nil {
		return fmt.Errorf("slow_card: %w", err)
	}
	delay := min(max(f.Delay, 0), maxCardDelay)
	f.stopMu.Lock()
	if f.stop == nil {
		f.stop = make(chan struct{})
	}
	stop := f.stop
	f.stopMu.Unlock()
	return f.install(t, "slow_card", emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		if hit(cmd) {
			timer := time.NewTimer(delay)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-stop:
				return nil, errSlowCardDropped
			}
		}
		return next(ctx, cmd)
	}})
}

// errSlowCardDropped is what a delayed answer becomes when slow_card is
// dropped: the vpcd slot closes, as for a card gone.
var errSlowCardDropped = errors.New("slow_card dropped at the scenario's end: the delayed answer is not given")

// Drop implements Dropper: the hooks go, and answers still being
// delayed are dropped at once (the card is gone).
func (f *SlowCard) Drop(ctx context.Context, t Target) error {
	err := f.Clear(ctx, t)
	f.stopMu.Lock()
	if f.stop != nil {
		close(f.stop)
		f.stop = nil
	}
	f.stopMu.Unlock()
	return err
}

// CardPulled makes the card vanish at a matching command (the nth, default
// the first): the interceptor fails, the vpcd slot closes its connection
// and the reader sees the card removed mid-APDU. No CardSide.Pull is
// needed; the fault fires once.
type CardPulled struct {
	cardHooks
	APDUMatch `yaml:",inline"`
}

// Check validates the match.
func (f *CardPulled) Check(n *yaml.Node) error {
	return f.APDUMatch.check(n, "card_pulled", "the first")
}

// Inject installs the interceptor.
func (f *CardPulled) Inject(_ context.Context, t Target) error {
	hit, err := hits(f.APDUMatch, max(f.Nth, 1))
	if err != nil {
		return fmt.Errorf("card_pulled: %w", err)
	}
	return f.install(t, "card_pulled", emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		if hit(cmd) {
			return nil, errCardPulled
		}
		return next(ctx, cmd)
	}})
}

// AppBlocked blocks the card's applications: with SW 6283 (the default)
// SELECT of an application answers its FCI with 6283 and GET PROCESSING
// OPTIONS 6985; with SW 6A81 the whole card is blocked and every SELECT
// answers 6A81.
type AppBlocked struct {
	cardHooks
	// SW is 6283 (application blocked) or 6A81 (card blocked).
	SW string `yaml:"sw"`
}

// Check: sw is empty, 6283 or 6A81.
func (f *AppBlocked) Check(n *yaml.Node) error {
	if sw := strings.ToUpper(f.SW); sw != "" && sw != "6283" && sw != "6A81" {
		return yamldoc.At(yamldoc.FindOr(n, "sw"), "app_blocked.sw: want 6283 (application blocked) or 6A81 (card blocked), got %q", f.SW)
	}
	return nil
}

// Inject installs the interceptor.
func (f *AppBlocked) Inject(_ context.Context, t Target) error {
	cardBlocked := strings.EqualFold(f.SW, "6A81")
	return f.install(t, "app_blocked", emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		switch {
		case cmd.INS == Commands["SELECT"] && cardBlocked:
			return emvcard.Respond(nil, emvcard.SWFuncNotSupported), nil
		case cmd.INS == Commands["GPO"] && !cardBlocked:
			return emvcard.Respond(nil, emvcard.SWConditionsNotMet), nil
		case cmd.INS != Commands["SELECT"] || cardBlocked || string(cmd.Data) == "1PAY.SYS.DDF01" || string(cmd.Data) == "2PAY.SYS.DDF01":
			return next(ctx, cmd) // directories are not applications
		}
		r, err := next(ctx, cmd)
		if err == nil && len(r) >= 2 && r[len(r)-2] == 0x90 && r[len(r)-1] == 0x00 {
			r = emvcard.Respond(r[:len(r)-2], emvcard.SWFileInvalidated)
		}
		return r, err
	}})
}

// NoSupportedApp makes every SELECT by name answer 6A82: the card offers
// no PSE, no PPSE and no application the terminal asks for.
type NoSupportedApp struct{ cardHooks }

// Inject installs the interceptor.
func (f *NoSupportedApp) Inject(_ context.Context, t Target) error {
	return f.install(t, "no_supported_app", emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		if cmd.INS == Commands["SELECT"] && cmd.P1 == 0x04 {
			return emvcard.Respond(nil, emvcard.SWFileNotFound), nil
		}
		return next(ctx, cmd)
	}})
}

// ExpiredApp rewrites the application expiration date in every record the
// card returns (emvcard.WithExpiry): 5F24 becomes the last day of Expiry
// and the track 2 equivalent (57) follows, lengths kept right.
type ExpiredApp struct {
	cardHooks
	// Expiry is YYMM, in the past (default: last month at injection).
	Expiry string `yaml:"expiry"`
}

// Check validates the YYMM date: a month before the current one (a card
// is valid to the end of its expiry month).
func (f *ExpiredApp) Check(n *yaml.Node) error {
	if _, _, err := emvcard.WithExpiry(nil, f.expiry()); err != nil {
		return yamldoc.At(yamldoc.FindOr(n, "expiry"), "expired_app.expiry: want YYMM such as 2312, got %q", f.Expiry)
	}
	if now := time.Now().UTC().Format("0601"); f.Expiry != "" && !before(f.Expiry, now) {
		return yamldoc.At(yamldoc.FindOr(n, "expiry"), "expired_app.expiry %s: not in the past (this month is %s), so the card is not expired", f.Expiry, now)
	}
	return nil
}

// before reports whether YYMM a is an earlier month than YYMM b, with
// years 50-99 in the 1900s (EMV's rule).
func before(a, b string) bool {
	century := func(yymm string) string {
		if yymm[0] >= '5' {
			return "19" + yymm
		}
		return "20" + yymm
	}
	return century(a) < century(b)
}

// expiry is Expiry or last month.
func (f *ExpiredApp) expiry() string {
	if f.Expiry != "" {
		return f.Expiry
	}
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), 0, 0, 0, 0, 0, time.UTC).Format("0601")
}

// Inject installs the interceptor.
func (f *ExpiredApp) Inject(_ context.Context, t Target) error {
	yymm := f.expiry()
	if _, _, err := emvcard.WithExpiry(nil, yymm); err != nil {
		return fmt.Errorf("expired_app: %w", err)
	}
	return f.install(t, "expired_app", emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		r, err := next(ctx, cmd)
		if err != nil || cmd.INS != Commands["READ_RECORD"] || len(r) <= 2 {
			return r, err
		}
		out, _, err := emvcard.WithExpiry(r[:len(r)-2], yymm)
		if err != nil {
			return r, nil // not TLV: leave it be
		}
		return append(out, r[len(r)-2:]...), nil
	}})
}

// PINTries presets the card's PIN try counter (9F17) on the card in play
// and on cards inserted while it is active (at most the card's limit).
// Clear puts each card's counter back to what it was before.
type PINTries struct {
	pinPreset
	// Left is the number of tries left, 0-15.
	Left int `yaml:"left"`
}

// Check: 0-15.
func (f *PINTries) Check(n *yaml.Node) error {
	if f.Left < 0 || f.Left > 15 {
		return yamldoc.At(yamldoc.FindOr(n, "left"), "pin_tries.left: want 0-15, got %d", f.Left)
	}
	return nil
}

// Inject presets the counter.
func (f *PINTries) Inject(_ context.Context, t Target) error {
	return f.preset(t, "pin_tries", f.Left)
}

// PINBlocked sets the card's PIN try counter to 0: VERIFY answers 6983.
// Clear puts the counter back.
type PINBlocked struct{ pinPreset }

// Inject presets the counter to 0.
func (f *PINBlocked) Inject(_ context.Context, t Target) error {
	return f.preset(t, "pin_blocked", 0)
}

// pinPreset sets the PIN try counter of each card it attaches to, once,
// and remembers the old value for Clear.
type pinPreset struct {
	cardHooks
	pmu  sync.Mutex
	prev map[*emvcard.Card]int
}

// preset installs an Attach hook that sets the counter to n.
func (p *pinPreset) preset(t Target, name string, n int) error {
	return p.install(t, name, emvcard.Hooks{Attach: func(c *emvcard.Card) {
		p.pmu.Lock()
		defer p.pmu.Unlock()
		if _, done := p.prev[c]; done {
			return
		}
		if p.prev == nil {
			p.prev = map[*emvcard.Card]int{}
		}
		p.prev[c] = c.PINTriesLeft()
		_ = c.SetPINTriesLeft(min(n, c.PINTryLimit())) // in range by construction
	}})
}

// Clear removes the hook and restores each card's counter.
func (p *pinPreset) Clear(ctx context.Context, t Target) error {
	_ = p.cardHooks.Clear(ctx, t)
	p.pmu.Lock()
	prev := p.prev
	p.prev = nil
	p.pmu.Unlock()
	var errs []error
	for c, n := range prev {
		errs = append(errs, c.SetPINTriesLeft(n))
	}
	return errors.Join(errs...)
}
