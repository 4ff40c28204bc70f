package inventory

import (
	"fmt"
	"slices"
	"strings"

	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Unrunnable is a scenario no bench of the inventory can run, with why:
// Reason says, for the first need no bench meets, where the scenario
// asks for it and what the benches have instead.
type Unrunnable struct {
	Scenario *scenario.Scenario
	At       yamldoc.Pos
	Reason   string
}

func (u Unrunnable) Error() string { return u.At.String() + ": " + u.Reason }

// Plan is where each runnable scenario goes, and what cannot run.
type Plan struct {
	// Benches lists each bench with the scenarios assigned to it, in
	// inventory order; benches with none are left out.
	Benches []Assignment
	// Unrunnable lists the scenarios no bench can run, in input order.
	Unrunnable []Unrunnable
}

// Assignment is one bench's share of a plan.
type Assignment struct {
	Bench     *Bench
	Scenarios []*scenario.Scenario
}

// Can reports whether b meets every need of sc, and else the first need
// it misses.
func (b *Bench) Can(sc *scenario.Scenario) (ok bool, missing string) {
	for _, n := range sc.Required() {
		if !slices.Contains(b.Caps, n.Cap) {
			return false, n.Cap
		}
	}
	if nd := sc.Needs; nd != nil {
		if nd.Firmware != "" && !FirmwareMatches(b.Firmware, nd.Firmware) {
			return false, "firmware " + nd.Firmware
		}
		for _, l := range nd.Labels {
			if !slices.Contains(b.Labels, l) {
				return false, "label " + l
			}
		}
	}
	return true, ""
}

// FirmwareMatches reports whether firmware version have satisfies want:
// equal, or want followed by a separator ("2.1" matches "2.1.4" and
// "2.1-rc1", not "2.10").
func FirmwareMatches(have, want string) bool {
	if have == want {
		return true
	}
	if !strings.HasPrefix(have, want) || len(have) == len(want) {
		return false
	}
	c := have[len(want)]
	return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
}

// Match assigns every scenario to one bench that can run it, spreading
// them evenly (each goes to the capable bench with the fewest so far;
// ties to the earlier bench), and lists those no bench can run. It is
// deterministic: the same inventory and scenarios give the same plan.
func (inv *Inventory) Match(scs []*scenario.Scenario) Plan {
	var p Plan
	load := make([][]*scenario.Scenario, len(inv.Benches))
	for _, sc := range scs {
		best := -1
		for i, b := range inv.Benches {
			if ok, _ := b.Can(sc); ok && (best < 0 || len(load[i]) < len(load[best])) {
				best = i
			}
		}
		if best < 0 {
			p.Unrunnable = append(p.Unrunnable, inv.why(sc))
			continue
		}
		load[best] = append(load[best], sc)
	}
	for i, b := range inv.Benches {
		if len(load[i]) > 0 {
			p.Benches = append(p.Benches, Assignment{Bench: b, Scenarios: load[i]})
		}
	}
	return p
}

// why explains a scenario no bench can run: each need no bench meets at
// all, at its place; else (every need met somewhere, never together) what
// each bench misses.
func (inv *Inventory) why(sc *scenario.Scenario) Unrunnable {
	u := Unrunnable{Scenario: sc, At: yamldoc.Pos{File: sc.File}}
	var reasons []string
	for _, n := range sc.Required() {
		if !slices.ContainsFunc(inv.Benches, func(b *Bench) bool { return slices.Contains(b.Caps, n.Cap) }) {
			if u.At.Line == 0 {
				u.At = n.At
			}
			reasons = append(reasons, fmt.Sprintf("%s needs %s, which no bench of %s has", n.Why, n.Cap, inv.File))
		}
	}
	if nd := sc.Needs; nd != nil {
		if nd.Firmware != "" && !slices.ContainsFunc(inv.Benches, func(b *Bench) bool { return FirmwareMatches(b.Firmware, nd.Firmware) }) {
			if u.At.Line == 0 {
				u.At = posOf(sc.File, nd.At, "firmware")
			}
			var have []string
			for _, b := range inv.Benches {
				have = append(have, b.Name+"="+orNone(b.Firmware))
			}
			reasons = append(reasons, fmt.Sprintf("needs firmware %s; the benches have %s", nd.Firmware, strings.Join(compact(have), ", ")))
		}
		for _, l := range nd.Labels {
			if !slices.ContainsFunc(inv.Benches, func(b *Bench) bool { return slices.Contains(b.Labels, l) }) {
				if u.At.Line == 0 {
					u.At = posOf(sc.File, nd.At, "label "+l)
				}
				reasons = append(reasons, fmt.Sprintf("needs label %s, which no bench of %s has", l, inv.File))
			}
		}
	}
	if len(reasons) == 0 {
		// Every need is met by some bench, but no bench meets them all.
		for _, b := range inv.Benches {
			_, miss := b.Can(sc)
			reasons = append(reasons, b.Name+" lacks "+miss)
		}
		reasons = []string{"no bench has all it needs: " + strings.Join(compact(reasons), "; ")}
	}
	u.Reason = "no bench can run " + fmt.Sprintf("%q", sc.Name) + ": " + strings.Join(reasons, "; ")
	return u
}

// posOf is where a need is written, the file itself when unknown.
func posOf(file string, at map[string]yamldoc.Pos, key string) yamldoc.Pos {
	p := at[key]
	p.File = file
	return p
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// compact keeps a long list readable: the first 6, then a count.
func compact(s []string) []string {
	if len(s) <= 6 {
		return s
	}
	return append(s[:6:6], fmt.Sprintf("and %d more", len(s)-6))
}
