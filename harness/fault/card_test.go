package fault_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/pcsc"
	"github.com/poshil/poshil/drivers/pcsc/pcsctest"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// cardSide is a bench's card side without pcscd: it composes the active
// hooks onto the card in play (most recent first) and onto cards
// inserted later, as the runner's does.
type cardSide struct {
	mu     sync.Mutex
	card   *emvcard.Card
	hooks  []*emvcard.Hooks
	pulled int
}

func (s *cardSide) AddHooks(h emvcard.Hooks) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &h
	s.hooks = append(s.hooks, p)
	s.apply()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hooks = slices.DeleteFunc(s.hooks, func(q *emvcard.Hooks) bool { return q == p })
		s.apply()
	}
}

func (s *cardSide) Pull(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pulled++
	return nil
}

// apply installs the composed hooks on the card (s.mu held).
func (s *cardSide) apply() {
	if s.card == nil {
		return
	}
	var hs []emvcard.Hooks
	for i := len(s.hooks) - 1; i >= 0; i-- {
		hs = append(hs, *s.hooks[i])
	}
	s.card.SetHooks(emvcard.Compose(hs...))
}

// insert puts a card in play.
func (s *cardSide) insert(c *emvcard.Card) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.card = c
	s.apply()
}

// cardTarget is a bench with an emulated card side (or none).
type cardTarget struct{ side *cardSide }

func (t *cardTarget) Card() fault.CardSide {
	if t.side == nil {
		return nil
	}
	return t.side
}
func (t *cardTarget) Host() *acquirer.Server { return nil }
func (t *cardTarget) DUT() fault.DUTSide     { return nil }
func (t *cardTarget) Part(fault.Part) any    { return nil }
func (t *cardTarget) Note(string, ...any)    {}

// chipCard is a fresh card from the shelf.
func chipCard(t testing.TB, name string) *emvcard.Card {
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

// chipSpecs decodes a scenario fragment with fault specs.
func chipSpecs(src string) ([]fault.Spec, error) {
	var doc struct {
		Faults []fault.Spec `yaml:"faults"`
	}
	err := yamldoc.Decode("s.yaml", []byte(src), &doc)
	return doc.Faults, err
}

// chipFault decodes one fault.
func chipFault(t *testing.T, src string) fault.Fault {
	t.Helper()
	specs, err := chipSpecs("faults:\n  - " + src + "\n")
	if err != nil || len(specs) != 1 {
		t.Fatalf("%s: %v", src, err)
	}
	return specs[0].Fault
}

// xchg sends a hex C-APDU as an EMV terminal does on T=0 (GET RESPONSE on
// 61xx, Le again on 6Cxx) and returns data and SW as hex; a pulled card
// gives SW "pulled".
func xchg(t *testing.T, c *emvcard.Card, capdu string) (string, string) {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(capdu, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for range 4 {
		r, err := c.Transmit(context.Background(), b)
		if err != nil {
			return "", "pulled"
		}
		data = append(data, r[:len(r)-2]...)
		switch sw1, sw2 := r[len(r)-2], r[len(r)-1]; {
		case sw1 == 0x61:
			b = []byte{0x00, 0xC0, 0x00, 0x00, sw2}
			continue
		case sw1 == 0x6C:
			b = append(b[:len(b)-1:len(b)-1], sw2)
			continue
		}
		return strings.ToUpper(hex.EncodeToString(data)), strings.ToUpper(hex.EncodeToString(r[len(r)-2:]))
	}
	t.Fatalf("%s: too many rounds", capdu)
	return "", ""
}

const (
	chipPPSE   = "00A404000E325041592E5359532E444446303100"
	chipVisa   = "00A4040007A000000003101000"
	chipGPO    = "80A8000002830000"
	chipRec21  = "00B2011400"
	chipRec11  = "00B2010C00"
	chipPIN    = "0020008008241234FFFFFFFFFF"
	chipBadPIN = "0020008008240000FFFFFFFFFF"
	chipTries  = "80CA9F1700"
)

// chipStep is one exchange and the SW (and data substring) it must give.
type chipStep struct{ capdu, sw, has string }

func playChip(t *testing.T, c *emvcard.Card, when string, steps []chipStep) {
	t.Helper()
	c.Power(0x02)
	for _, s := range steps {
		data, sw := xchg(t, c, s.capdu)
		if sw != s.sw || !strings.Contains(data, s.has) {
			t.Errorf("%s: %s -> %s %s, want SW %s with %q", when, s.capdu, data, sw, s.sw, s.has)
		}
	}
}

func TestCardFaultsInjectClear(t *testing.T) {
	healthy := []chipStep{{chipPPSE, "9000", "6F"}, {chipVisa, "9000", "8407A0000000031010"}, {chipGPO, "9000", "77"},
		{chipRec11, "9000", "4761739001010010D4912"}, {chipRec21, "9000", "5F2403491231"}, {chipTries, "9000", "9F170103"}}
	tests := []struct {
		name, yaml string
		faulty     []chipStep
		atr        string // ATR while injected (hex), when set
	}{
		{"mute card", "mute_card:", nil, "3B" + strings.Repeat("00", 33)},
		{"bad ATR", "bad_atr:", nil, "3A" + emvcard.DefaultATR().String()[2:]},
		{"bad ATR given", "bad_atr: {atr: 3B600500}", nil, "3B600500"},
		{"status word on GPO", `status_word: {command: GPO, sw: "6985"}`,
			[]chipStep{{chipVisa, "9000", ""}, {chipGPO, "6985", ""}, {chipGPO, "6985", ""}}, ""},
		// T=0: each READ RECORD goes twice (Le 00, 6Cxx, exact Le).
		{"status word on the 3rd READ RECORD APDU", `status_word: {ins: B2, sw: "6A83", nth: 3}`,
			[]chipStep{{chipVisa, "9000", ""}, {chipRec11, "9000", "57"}, {chipRec21, "6A83", ""}, {chipRec21, "9000", "5A"}}, ""},
		{"status word on GET RESPONSE", `status_word: {command: GET_RESPONSE, sw: "6F00"}`,
			[]chipStep{{chipVisa, "6F00", ""}}, ""},
		{"card pulled at VERIFY", "card_pulled: {command: VERIFY}",
			[]chipStep{{chipVisa, "9000", ""}, {chipPIN, "pulled", ""}, {chipPIN, "9000", ""}}, ""},
		{"card pulled at the 2nd SELECT", "card_pulled: {command: SELECT, nth: 2}",
			[]chipStep{{chipPPSE, "9000", ""}, {chipVisa, "pulled", ""}}, ""},
		{"application blocked", "app_blocked:",
			[]chipStep{{chipPPSE, "9000", "4F07A0000000031010"}, {chipVisa, "6283", ""}, {chipGPO, "6985", ""}}, ""},
		{"card blocked", `app_blocked: {sw: "6A81"}`,
			[]chipStep{{chipPPSE, "6A81", ""}, {chipVisa, "6A81", ""}}, ""},
		{"no supported application", "no_supported_app: {}",
			[]chipStep{{chipPPSE, "6A82", ""}, {"00A404000E315041592E5359532E444446303100", "6A82", ""}, {chipVisa, "6A82", ""}}, ""},
		{"expired application", `expired_app: {expiry: "2312"}`,
			[]chipStep{{chipVisa, "9000", ""}, {chipRec21, "9000", "5F2403231231"}, {chipRec11, "9000", "4761739001010010D2312201"}}, ""},
		{"PIN tries preset", "pin_tries: {left: 1}",
			[]chipStep{{chipVisa, "9000", ""}, {chipTries, "9000", "9F170101"}, {chipBadPIN, "63C0", ""}, {chipPIN, "6983", ""}}, ""},
		{"PIN tries over the limit", "pin_tries: {left: 9}",
			[]chipStep{{chipVisa, "9000", ""}, {chipTries, "9000", "9F170103"}}, ""},
		{"PIN blocked", "pin_blocked:",
			[]chipStep{{chipVisa, "9000", ""}, {chipPIN, "6983", ""}, {chipTries, "9000", "9F170100"}}, ""},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			side := &cardSide{}
			tg := &cardTarget{side: side}
			c := chipCard(t, "visa-credit")
			side.insert(c)
			f := chipFault(t, tc.yaml)
			if err := f.Clear(ctx, tg); err != nil {
				t.Fatalf("Clear before Inject: %v", err)
			}
			playChip(t, c, "before", healthy)
			if err := f.Inject(ctx, tg); err != nil {
				t.Fatal(err)
			}
			playChip(t, c, "injected", tc.faulty)
			if tc.atr != "" && strings.ToUpper(hex.EncodeToString(c.ATR())) != tc.atr {
				t.Errorf("ATR % X, want %s", c.ATR(), tc.atr)
			}
			for i := range 2 {
				if err := f.Clear(ctx, tg); err != nil {
					t.Fatalf("Clear %d: %v", i+1, err)
				}
			}
			if !bytes.Equal(c.ATR(), emvcard.DefaultATR()) {
				t.Errorf("ATR after Clear % X", c.ATR())
			}
			playChip(t, c, "cleared", healthy)
			if len(side.hooks) != 0 || side.pulled != 0 {
				t.Errorf("%d hooks left, %d pulls", len(side.hooks), side.pulled)
			}
		})
	}
}

// TestCardFaultsReachLaterCards: a fault injected before the card is
// inserted acts on it; Clear restores it.
func TestCardFaultsReachLaterCards(t *testing.T) {
	ctx := context.Background()
	side := &cardSide{}
	tg := &cardTarget{side: side}
	blocked, status := chipFault(t, "pin_blocked:"), chipFault(t, `status_word: {command: GENERATE_AC, sw: "6985"}`)
	for _, f := range []fault.Fault{blocked, status} {
		if err := f.Inject(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	c := chipCard(t, "visa-credit")
	side.insert(c)
	playChip(t, c, "injected", []chipStep{{chipVisa, "9000", ""}, {chipPIN, "6983", ""}, {chipGPO, "9000", ""},
		{"80AE80001D000000001000000000000000005600000000000978491231001122334400", "6985", ""}})
	if err := blocked.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	playChip(t, c, "PIN back", []chipStep{{chipVisa, "9000", ""}, {chipPIN, "9000", ""}, {chipGPO, "9000", ""},
		{"80AE80001D000000001000000000000000005600000000000978491231001122334400", "6985", ""}})
	_ = status.Clear(ctx, tg)
	if c.PINTriesLeft() != 3 || len(side.hooks) != 0 {
		t.Errorf("tries %d, %d hooks left", c.PINTriesLeft(), len(side.hooks))
	}
}

// TestSlowCard: the delay is served, and a pulled card (ctx) ends it.
func TestSlowCard(t *testing.T) {
	ctx := context.Background()
	side := &cardSide{}
	tg := &cardTarget{side: side}
	c := chipCard(t, "visa-credit")
	side.insert(c)
	f := chipFault(t, "slow_card: {command: SELECT, delay: 200ms}")
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, sw := xchg(t, c, chipVisa); sw != "9000" || time.Since(start) < 200*time.Millisecond {
		t.Errorf("SELECT %s after %v, want 9000 after 200ms", sw, time.Since(start))
	}
	start = time.Now()
	if _, sw := xchg(t, c, chipTries); sw != "9000" || time.Since(start) > 150*time.Millisecond {
		t.Errorf("GET DATA %s after %v: only SELECT is slow", sw, time.Since(start))
	}
	_ = f.Clear(ctx, tg)
	slow := &fault.SlowCard{Delay: time.Hour} // capped, and ctx ends it
	if err := slow.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	defer slow.Clear(ctx, tg)
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := c.Transmit(cctx, []byte{0x00, 0xA4, 0x04, 0x00, 0x00}); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("stalled SELECT: %v after %v, want the ctx error at once", err, time.Since(start))
	}
}

func TestCardFaultsUnsupported(t *testing.T) {
	ctx := context.Background()
	for name, src := range cardFaults {
		f := chipFault(t, name+": "+src)
		if n := fault.NeedsOf(f); len(n) != 1 || n[0] != fault.PartCard {
			t.Errorf("%s needs %v", name, n)
		}
		if fault.Doc(name) == "" {
			t.Errorf("%s has no doc", name)
		}
		if err := f.Inject(ctx, &cardTarget{}); !errors.Is(err, fault.ErrUnsupported) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s without a card: %v, want ErrUnsupported naming the fault", name, err)
		}
		if err := f.Clear(ctx, &cardTarget{}); err != nil {
			t.Errorf("%s: Clear after a failed Inject: %v", name, err)
		}
	}
}

// cardFaults are the chip faults with valid settings.
var cardFaults = map[string]string{"mute_card": "", "bad_atr": "", "status_word": `{sw: "6F00"}`,
	"slow_card": "{delay: 1s}", "card_pulled": "", "app_blocked": "", "no_supported_app": "",
	"expired_app": "", "pin_tries": "{left: 1}", "pin_blocked": ""}

func TestCardFaultsFromYAML(t *testing.T) {
	specs, err := chipSpecs(`faults:
  - status_word: {command: GENERATE_AC, sw: "6985", nth: 2}
    when: {apdu: {command: GPO}}
  - slow_card: {ins: "B2", delay: 2s}
  - card_pulled: {command: VERIFY}
  - bad_atr: {atr: "3B 00 11"}
  - expired_app:
  - pin_tries: {left: 1}
`)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := specs[0].Fault.(*fault.StatusWord); !ok || f.Command != "GENERATE_AC" || f.SW != "6985" || f.Nth != 2 || specs[0].When.APDU == nil {
		t.Errorf("status_word: %#v", specs[0].Fault)
	}
	if f, ok := specs[1].Fault.(*fault.SlowCard); !ok || f.INS != "B2" || f.Delay != 2*time.Second {
		t.Errorf("slow_card: %#v", specs[1].Fault)
	}
	if f, ok := specs[3].Fault.(*fault.BadATR); !ok || f.ATR.String() != "3B0011" {
		t.Errorf("bad_atr: %#v", specs[3].Fault)
	}
	if f, ok := specs[5].Fault.(*fault.PINTries); !ok || f.Left != 1 {
		t.Errorf("pin_tries: %#v", specs[5].Fault)
	}
}

func TestCardFaultsYAMLErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`mute_card: {atr: "3B00"}`, `s.yaml:2:17: unknown key "atr"`},
		{`bad_atr: {art: "3B00"}`, `s.yaml:2:15: unknown key "art"`},
		{`bad_atr: {atr: "3B6E00008031"}`, ""},
		{`bad_atr: {atr: ` + emvcard.DefaultATR().String() + `}`, "s.yaml:2:20: bad_atr.atr: 3B6E"},
		{`bad_atr: {atr: "3B` + strings.Repeat("00", 33) + `"}`, "use mute_card"},
		{`status_word: {command: GPO, sw: "6985", nht: 2}`, `s.yaml:2:45: unknown key "nht"`},
		{`status_word: {command: GPO, sw: "69"}`, `s.yaml:2:37: status_word.sw: want four hex digits`},
		{`status_word: {command: DANCE, sw: "6985"}`, `apdu.command "DANCE"`},
		{`status_word: {ins: "A4", command: SELECT, sw: "6985"}`, "give ins or command, not both"},
		{`slow_card: {command: SELECT, delay: 45s}`, "s.yaml:2:41: slow_card.delay: want more than 0 and at most 30s"},
		{`slow_card: {command: SELECT}`, "slow_card.delay"},
		{`slow_card: {command: SELECT, delay: soon}`, "s.yaml:2:41: want"},
		{`card_pulled: {command: VERIFY, when: 2}`, `s.yaml:2:36: unknown key "when"`},
		{`card_pulled: {nth: -1}`, "s.yaml:2:24: card_pulled.nth -1: matches count from 1"},
		{`app_blocked: {sw: "9000"}`, "s.yaml:2:23: app_blocked.sw: want 6283"},
		{`app_blocked: {status: "6A81"}`, `unknown key "status"`},
		{`no_supported_app: {aid: A0000000031010}`, `s.yaml:2:24: unknown key "aid"`},
		{`expired_app: {expiry: "2313"}`, "s.yaml:2:27: expired_app.expiry: want YYMM"},
		{`expired_app: {expires: "2312"}`, `unknown key "expires"`},
		{`pin_tries: {left: 16}`, "s.yaml:2:23: pin_tries.left: want 0-15"},
		{`pin_tries: {lef: 1}`, `s.yaml:2:17: unknown key "lef"`},
		{`pin_blocked: {left: 0}`, `s.yaml:2:19: unknown key "left"`},
	} {
		_, err := chipSpecs("faults:\n  - " + tc.src + "\n")
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%s:\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
}

// TestATRFaultsThroughPCSCD: through the real pcscd, mute_card makes the
// reader report an unpowered card and bad_atr a protocol mismatch.
func TestATRFaultsThroughPCSCD(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b := pcsctest.Setup(ctx, t)
	for _, tc := range []struct {
		yaml string
		want error
	}{{"mute_card:", pcsc.ErrUnpowered}, {"bad_atr:", pcsc.ErrProtocol}} {
		side := &cardSide{}
		c := chipCard(t, "visa-credit")
		side.insert(c)
		f := chipFault(t, tc.yaml)
		if err := f.Inject(ctx, &cardTarget{side: side}); err != nil {
			t.Fatal(err)
		}
		slot := b.Insert(ctx, t, c)
		card, err := b.Reader.Connect(ctx)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Connect: %v, want %v", tc.yaml, err, tc.want)
		}
		if err == nil {
			_ = card.Disconnect(false)
		}
		_ = f.Clear(ctx, &cardTarget{side: side})
		if err := slot.Remove(); err != nil {
			t.Fatal(err)
		}
		if err := b.Reader.WaitAbsent(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSlowCardDropped: at the scenario's end (Drop) an answer still being
// delayed is not given late: the delay ends at once with the card gone.
func TestSlowCardDropped(t *testing.T) {
	ctx := t.Context()
	side := &cardSide{}
	tg := &cardTarget{side: side}
	c := chipCard(t, "visa-credit")
	side.insert(c)
	f := chipFault(t, "slow_card: {command: SELECT, delay: 30s}").(*fault.SlowCard)
	if err := f.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{}, 1)
	defer side.AddHooks(emvcard.Hooks{APDU: func(ctx context.Context, cmd emvcard.Command, next emvcard.Handler) ([]byte, error) {
		entered <- struct{}{}
		return next(ctx, cmd)
	}})()
	type answer struct {
		r   []byte
		err error
	}
	got := make(chan answer, 1)
	go func() {
		r, err := c.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00, 0x00})
		got <- answer{r, err}
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the SELECT never reached the card")
	}
	if err := f.Drop(ctx, tg); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		if a.err == nil {
			t.Fatalf("the delayed SELECT was answered (% x) after the drop", a.r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the delayed answer was not dropped")
	}
	if err := f.Drop(ctx, tg); err != nil {
		t.Fatalf("second Drop: %v", err)
	}
}
