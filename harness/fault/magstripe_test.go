package fault_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/keypad"
	"github.com/poshil/poshil/fixtures/magstripe"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// msrTarget is a bench with an emulated MSR (or without one when msr is
// nil) and nothing else.
type msrTarget struct {
	msr   any
	notes []string
}

func (t *msrTarget) Card() fault.CardSide    { return nil }
func (t *msrTarget) Host() *acquirer.Server  { return nil }
func (t *msrTarget) DUT() fault.DUTSide      { return nil }
func (t *msrTarget) Note(f string, a ...any) { t.notes = append(t.notes, f) }
func (t *msrTarget) Part(p fault.Part) any {
	if p == fault.PartMSR && t.msr != nil {
		return t.msr
	}
	return nil
}

const (
	msrT1 = "B4761739001010010^CARDHOLDER/TEST^28122011758900000000"
	msrT2 = "4761739001010010=28122011758928889"
)

// msrBench is an MSR on a real PTY, as the emulated bench has it.
func msrBench(t *testing.T) (*magstripe.MSR, *msrTarget) {
	t.Helper()
	p, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	m := magstripe.NewMSR(p.Port())
	return m, &msrTarget{msr: m}
}

func msrLine(t *testing.T, m *magstripe.MSR) string {
	t.Helper()
	l, err := m.Line(magstripe.Tracks{T1: msrT1, T2: msrT2})
	if err != nil {
		t.Fatal(err)
	}
	return string(l)
}

// msrSpecs decodes a scenario fragment with fault specs.
func msrSpecs(src string) ([]fault.Spec, error) {
	var doc struct {
		Faults []fault.Spec `yaml:"faults"`
	}
	err := yamldoc.Decode("s.yaml", []byte(src), &doc)
	return doc.Faults, err
}

func TestMagstripeFaultsFromYAML(t *testing.T) {
	specs, err := msrSpecs(`faults:
  - demagnetized:
  - demagnetized: {tracks: [2]}
  - track_damage: {track: 1, kind: no_end_sentinel, seed: 7}
    when: {after: 1s}
  - swipe_jitter: {seed: 3}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 4 {
		t.Fatalf("%d specs", len(specs))
	}
	if d, ok := specs[1].Fault.(*fault.Demagnetized); !ok || len(d.Tracks) != 1 || d.Tracks[0] != 2 {
		t.Errorf("spec 2: %#v", specs[1].Fault)
	}
	if d, ok := specs[2].Fault.(*fault.TrackDamage); !ok || d.Track != 1 || d.Kind != magstripe.KindNoEndSentinel || d.Seed != 7 {
		t.Errorf("spec 3: %#v", specs[2].Fault)
	}
	if d, ok := specs[3].Fault.(*fault.SwipeJitter); !ok || d.Seed != 3 {
		t.Errorf("spec 4: %#v", specs[3].Fault)
	}
	for _, s := range specs {
		if n := fault.NeedsOf(s.Fault); len(n) != 1 || n[0] != fault.PartMSR {
			t.Errorf("%s needs %v", s.Name, n)
		}
		if fault.Doc(s.Name) == "" {
			t.Errorf("%s has no doc", s.Name)
		}
	}
}

func TestMagstripeFaultsYAMLErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"faults:\n  - track_damage: {track: 1, kind: parity, sedd: 3}\n", `s.yaml:2:44: unknown key "sedd"`},
		{"faults:\n  - track_damage: {track: 3, kind: parity}\n", "s.yaml:2:27: track_damage.track: want 1 or 2, got 3"},
		{"faults:\n  - track_damage: {track: 2}\n", `s.yaml:2:19: track_damage.kind: want one of parity, lrc, no_end_sentinel, no_start_sentinel, got ""`},
		{"faults:\n  - track_damage: {track: 2, kind: scratch}\n", `got "scratch"`},
		{"faults:\n  - track_damage: {track: two, kind: lrc}\n", "s.yaml:2:27: want"},
		{"faults:\n  - demagnetized: {tracks: [1, 1]}\n", "s.yaml:2:32: demagnetized.tracks: track 1 listed twice"},
		{"faults:\n  - demagnetized: {tracks: [0]}\n", "track 0: want 1 or 2"},
		{"faults:\n  - demagnetized: {track: [1]}\n", `s.yaml:2:20: unknown key "track"`},
		{"faults:\n  - swipe_jitter: {seed: x}\n", "s.yaml:2:26: want"},
	} {
		_, err := msrSpecs(tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%q:\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
}

func TestMagstripeFaultsInjectClear(t *testing.T) {
	ctx := context.Background()
	good1, good2 := "%"+msrT1+"?", ";"+msrT2+"?"
	for _, tc := range []struct {
		f    fault.Fault
		line string
	}{
		{&fault.Demagnetized{}, "%E?;E?\r"},
		{&fault.Demagnetized{Tracks: []int{1}}, good2 + "\r"},
		{&fault.TrackDamage{Track: 2, Kind: magstripe.KindParity, Seed: 11}, good1 + ";E?\r"},
		{&fault.TrackDamage{Track: 1, Kind: magstripe.KindLRC}, "%E?" + good2 + "\r"},
		{&fault.TrackDamage{Track: 2, Kind: magstripe.KindNoEndSentinel}, good1 + ";E?\r"},
		{&fault.TrackDamage{Track: 1, Kind: magstripe.KindNoStartSentinel}, good2 + "\r"},
		{&fault.SwipeJitter{Seed: 1}, good1 + good2 + "\r"},
	} {
		m, tg := msrBench(t)
		clean := msrLine(t, m)
		if err := tc.f.Clear(ctx, tg); err != nil { // before Inject: a no-op
			t.Errorf("%T: Clear before Inject: %v", tc.f, err)
		}
		if err := tc.f.Inject(ctx, tg); err != nil {
			t.Fatalf("%T: Inject: %v", tc.f, err)
		}
		if got := msrLine(t, m); got != tc.line {
			t.Errorf("%T: line %q, want %q", tc.f, got, tc.line)
		}
		if len(m.Damage()) != 1 {
			t.Errorf("%T: %d damage layers", tc.f, len(m.Damage()))
		}
		for range 2 { // idempotent
			if err := tc.f.Clear(ctx, tg); err != nil {
				t.Errorf("%T: Clear: %v", tc.f, err)
			}
		}
		if got := msrLine(t, m); got != clean || len(m.Damage()) != 0 {
			t.Errorf("%T: after Clear: %q, %d layers", tc.f, got, len(m.Damage()))
		}
	}
}

func TestMagstripeFaultsCompose(t *testing.T) {
	ctx := context.Background()
	m, tg := msrBench(t)
	demag := &fault.Demagnetized{Tracks: []int{1}}
	dmg := &fault.TrackDamage{Track: 2, Kind: magstripe.KindLRC}
	for _, f := range []fault.Fault{demag, dmg} {
		if err := f.Inject(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	// Track 1 blank: left out; track 2 damaged: E.
	if got := msrLine(t, m); got != ";E?\r" {
		t.Errorf("both: %q", got)
	}
	// Injecting again replaces the fault's own layer, it does not stack.
	if err := dmg.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Damage()); n != 2 {
		t.Errorf("%d layers after a second Inject, want 2", n)
	}
	if err := demag.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if got := msrLine(t, m); got != "%"+msrT1+"?;E?\r" {
		t.Errorf("track damage left alone: %q", got)
	}
	if err := dmg.Clear(ctx, tg); err != nil {
		t.Fatal(err)
	}
}

func TestMagstripeFaultsUnsupported(t *testing.T) {
	ctx := context.Background()
	for _, tg := range []*msrTarget{{}, {msr: "not a reader"}} {
		for _, f := range []fault.Fault{&fault.Demagnetized{}, &fault.TrackDamage{Track: 1, Kind: magstripe.KindParity}, &fault.SwipeJitter{}} {
			if err := f.Inject(ctx, tg); !errors.Is(err, fault.ErrUnsupported) {
				t.Errorf("%T on a bench without MSR: %v", f, err)
			}
			if err := f.Clear(ctx, tg); err != nil {
				t.Errorf("%T: Clear after a failed Inject: %v", f, err)
			}
		}
	}
}

// TestMagstripeFaultsScheduled: a spec from YAML, fired and cleared by the
// schedule as the runner does.
func TestMagstripeFaultsScheduled(t *testing.T) {
	ctx := context.Background()
	m, tg := msrBench(t)
	specs, err := msrSpecs("faults:\n  - demagnetized: {}\n")
	if err != nil {
		t.Fatal(err)
	}
	s := fault.NewSchedule(ctx, tg)
	if err := s.Arm(ctx, &specs[0]); err != nil {
		t.Fatal(err)
	}
	if got := msrLine(t, m); got != "%E?;E?\r" {
		t.Errorf("armed: %q", got)
	}
	if err := s.ClearAll(ctx); err != nil {
		t.Fatal(err)
	}
	if len(m.Damage()) != 0 {
		t.Errorf("damage left after ClearAll: %v", m.Damage())
	}
}

func TestSwipeFaultsFromYAML(t *testing.T) {
	specs, err := msrSpecs(`faults:
  - swipe_backwards:
  - swipe_too_fast: {track: 2, lost: 5, seed: 1}
  - swipe_too_fast:
  - swipe_twice: {gap: 200ms}
`)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := specs[1].Fault.(*fault.SwipeTooFast); !ok || f.Track != 2 || f.Lost != 5 || f.Seed != 1 {
		t.Errorf("spec 2: %#v", specs[1].Fault)
	}
	if f, ok := specs[3].Fault.(*fault.SwipeTwice); !ok || f.MaxDelay() != 200*time.Millisecond {
		t.Errorf("spec 4: %#v", specs[3].Fault)
	}
	for _, s := range specs {
		if n := fault.NeedsOf(s.Fault); len(n) != 1 || n[0] != fault.PartMSR {
			t.Errorf("%s needs %v", s.Name, n)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{"faults:\n  - swipe_too_fast: {track: 3}\n", "s.yaml:2:29: swipe_too_fast.track: want 1 or 2"},
		{"faults:\n  - swipe_too_fast: {lost: 0}\n", "s.yaml:2:28: swipe_too_fast.lost: want 1 to 64 bits, got 0"},
		{"faults:\n  - swipe_too_fast: {lost: 65}\n", "swipe_too_fast.lost: want 1 to 64 bits, got 65"},
		{"faults:\n  - swipe_twice: {gap: 6s}\n", "s.yaml:2:24: swipe_twice.gap: want more than 0 and at most 5s, got 6s"},
		{"faults:\n  - swipe_twice: {gap: 0s}\n", "swipe_twice.gap: want more than 0"},
		{"faults:\n  - swipe_backwards: {seed: 1}\n", `unknown key "seed"`},
	} {
		_, err := msrSpecs(tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%q:\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
}

// TestSwipeFaultsInjectClear: each operator fault changes what the MSR
// sends while it is in force, and its Clear gives the clean swipe back.
func TestSwipeFaultsInjectClear(t *testing.T) {
	ctx := context.Background()
	good1, good2 := "%"+msrT1+"?", ";"+msrT2+"?"
	for _, tc := range []struct {
		f      fault.Fault
		format magstripe.Format
		check  func(line string) bool
	}{
		// An ASCII reader reads a backwards swipe backwards: the same line.
		{&fault.SwipeBackwards{}, magstripe.FormatASCII, func(l string) bool { return l == good1+good2+"\r" }},
		// A raw reader sends the reversed bits.
		{&fault.SwipeBackwards{}, magstripe.FormatRaw, func(l string) bool {
			r, err := magstripe.ParseRaw([]byte(l))
			b, _ := magstripe.Encode(2, msrT2)
			return err == nil && len(r.T2) == len(b) && r.T2[0] == b[len(b)-1] && r.Decode().Track2.Data == msrT2 && !slicesEqual(r.T2, b)
		}},
		{&fault.SwipeTooFast{Track: 2, Lost: 5, Seed: 1}, magstripe.FormatASCII, func(l string) bool { return l == good1+";E?\r" }},
		{&fault.SwipeTooFast{}, magstripe.FormatASCII, func(l string) bool { return l == "%E?;E?\r" }},
	} {
		m, tg := msrBench(t)
		m.SetFormat(tc.format)
		clean := msrLine(t, m)
		if err := tc.f.Inject(ctx, tg); err != nil {
			t.Fatalf("%T: Inject: %v", tc.f, err)
		}
		if got := msrLine(t, m); !tc.check(got) {
			t.Errorf("%T (%s): line %q", tc.f, tc.format, got)
		}
		if err := tc.f.Clear(ctx, tg); err != nil {
			t.Errorf("%T: Clear: %v", tc.f, err)
		}
		if got := msrLine(t, m); got != clean || len(m.Damage()) != 0 {
			t.Errorf("%T: after Clear: %q, %d layers", tc.f, got, len(m.Damage()))
		}
	}
	m, tg := msrBench(t)
	tw := &fault.SwipeTwice{}
	if err := tw.Inject(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if d := m.Damage(); len(d) != 1 || !d[0].Twice || d[0].TwiceGap != 50*time.Millisecond {
		t.Errorf("swipe_twice layers: %v", d)
	}
	if err := tw.Clear(ctx, tg); err != nil || len(m.Damage()) != 0 {
		t.Errorf("swipe_twice Clear: %v, %d layers", err, len(m.Damage()))
	}
	for _, f := range []fault.Fault{&fault.SwipeBackwards{}, &fault.SwipeTooFast{}, &fault.SwipeTwice{}} {
		if err := f.Inject(ctx, &msrTarget{}); !errors.Is(err, fault.ErrUnsupported) {
			t.Errorf("%T on a bench without MSR: %v", f, err)
		}
	}
}

func slicesEqual(a, b magstripe.Bits) bool { return string(a) == string(b) }

// keypadTarget is a bench with an emulated PIN pad.
type keypadTarget struct {
	msrTarget
	kp any
}

func (t *keypadTarget) Part(p fault.Part) any {
	if p == fault.PartKeypad {
		return t.kp
	}
	return nil
}

func TestKeyFaults(t *testing.T) {
	specs, err := msrSpecs(`faults:
  - key_bounce: {key: "2"}
  - key_stuck: {key: enter}
  - key_dead: {key: "0"}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []keypad.Fault{{Kind: keypad.Bounce, Key: '2'}, {Kind: keypad.Stuck, Key: 'E'}, {Kind: keypad.Dead, Key: '0'}}
	ctx := context.Background()
	for i, s := range specs {
		if n := fault.NeedsOf(s.Fault); len(n) != 1 || n[0] != fault.PartKeypad {
			t.Errorf("%s needs %v", s.Name, n)
		}
		kp := keypad.New(nil)
		tg := &keypadTarget{kp: kp}
		f := fault.Instance(s.Fault) // as a run arms it: the kind survives the copy
		if err := f.Inject(ctx, tg); err != nil {
			t.Fatal(err)
		}
		if got := kp.Faults(); len(got) != 1 || got[0] != want[i] {
			t.Errorf("%s: faults %v, want %v", s.Name, got, want[i])
		}
		for range 2 {
			if err := f.Clear(ctx, tg); err != nil {
				t.Fatal(err)
			}
		}
		if got := kp.Faults(); len(got) != 0 {
			t.Errorf("%s: after Clear %v", s.Name, got)
		}
		if err := s.Fault.Inject(ctx, &keypadTarget{}); !errors.Is(err, fault.ErrUnsupported) {
			t.Errorf("%s without a PIN pad: %v", s.Name, err)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{"faults:\n  - key_bounce: {key: 2}\n", ""},
		{"faults:\n  - key_bounce: {key: \"22\"}\n", "s.yaml:2:23: key_bounce.key: want one digit"},
		{"faults:\n  - key_dead: {}\n", "key_dead.key: want one digit"},
		{"faults:\n  - key_stuck: {key: menu}\n", `key_stuck.key: want one digit (quoted: "2"), enter, clear or cancel, got "menu"`},
	} {
		_, err := msrSpecs(tc.src)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%q:\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
}
