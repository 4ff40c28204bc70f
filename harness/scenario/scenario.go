// Package scenario is the scenario file: what a test does to the terminal
// (steps), with which card, and what the terminal must and must never report
// (expectations). Load decodes a file strictly and reports every problem as
// file:line:col; a loaded Scenario is valid and ready to run.
//
// It is not the runner (package runner) and knows nothing of a bench.
package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/yamldoc"
)

// DefaultTimeout bounds a scenario that names no timeout.
const DefaultTimeout = 30 * time.Second

// DefaultSettle is the settle window of a scenario that names none (see
// Expect.Settle); MinSettle is the shortest one it may name.
const (
	DefaultSettle = 500 * time.Millisecond
	MinSettle     = 100 * time.Millisecond
)

// Scenario is one decoded scenario file.
type Scenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Labels      []string      `yaml:"labels"`
	Card        Ref           `yaml:"card"`
	Timeout     time.Duration `yaml:"timeout"`
	// Faults are armed when the scenario starts (after the DUT is up);
	// each fires on its own trigger.
	Faults []fault.Spec `yaml:"faults"`
	Steps  []Step       `yaml:"steps"`
	Expect Expect       `yaml:"expect"`
	// Matrix runs the scenario once per variant: each may swap the card,
	// the amount of every sale step and the expected outcome. The
	// variants become scenarios of their own, named "name [variant]".
	Matrix []Variant `yaml:"matrix"`
	// Mutants names deliberate bugs of the reference terminal that this
	// scenario must catch, each with what its FAIL must say: the suite
	// runs the scenario against each and requires FAIL for that reason.
	// That is how we know the scenario's own check can fail.
	Mutants []Mutant `yaml:"mutants"`
	// Needs is what a bench of an inventory must have to run the
	// scenario, beyond what its steps and faults imply (see Needs).
	Needs *Needs `yaml:"needs"`
	// DUT changes the bench's DUT for this scenario (see DUT).
	DUT *DUT `yaml:"dut"`

	// File is where the scenario was loaded from.
	File string `yaml:"-"`
}

// Expect is what the terminal must end with and must never report.
type Expect struct {
	// Outcome is the final RESULT the terminal must report.
	Outcome outcome.Code `yaml:"outcome"`
	// TriesLeft, when set, must equal the tries the terminal reported.
	TriesLeft *int `yaml:"tries_left"`
	// Within bounds the time from the first step to the final result.
	Within time.Duration `yaml:"within"`
	// Never lists codes the terminal must not report at any time, in an
	// event or the final result.
	Never []outcome.Code `yaml:"never"`
	// Host states what the acquirer host must have seen.
	Host *HostExpect `yaml:"host"`
	// Fields are RESULT fields that must have these values, e.g.
	// {entry: fallback}.
	Fields map[string]string `yaml:"fields"`
	// MaxRetransmits bounds the frames the DUT sends again on the ECR
	// line (seen as duplicates): a terminal that times out too early
	// hammers a slow line.
	MaxRetransmits *int `yaml:"max_retransmits"`
	// Receipt states what the bench's printer must have printed.
	Receipt *ReceiptExpect `yaml:"receipt"`
	// Settle is how long the runner keeps listening after the final
	// result (and after the bench's last scheduled behaviour, such as a
	// late host response) before it judges: never and the one-result
	// rule hold through it. Zero means DefaultSettle.
	Settle time.Duration `yaml:"settle"`

	// At is where each expectation is written, for the messages of the
	// checks that judge it.
	At ExpectAt `yaml:"-"`
}

// SettleWindow is the settle window in force: Settle or DefaultSettle.
func (e *Expect) SettleWindow() time.Duration {
	if e.Settle == 0 {
		return DefaultSettle
	}
	return e.Settle
}

// HostExpect is checked against the emulated host's journal and ledger.
type HostExpect struct {
	// Requests is the number of authorisation requests (0100/0200).
	Requests *int `yaml:"requests"`
	// Reversals is the number of reversals (0400) the host received.
	Reversals *int `yaml:"reversals"`
	// Net is the card's net debit on the host's ledger in minor units
	// after the scenario (0: every debit was reversed or voided; below
	// zero: refunds credited the card more than sales debited it).
	Net *int64 `yaml:"net"`
	// Within bounds the wait for expected reversals after the result
	// (default 5s): a terminal may reverse after reporting.
	Within time.Duration `yaml:"within"`
}

// Check bounds the block's values.
func (h *HostExpect) Check(n *yaml.Node) error {
	return join(
		notNegative(yamldoc.Find(n, "requests"), "requests", h.Requests),
		notNegative(yamldoc.Find(n, "reversals"), "reversals", h.Reversals),
		positive(yamldoc.Find(n, "within"), "within", h.Within),
	)
}

// Check validates the expectation as a whole and remembers where each
// part is written.
func (e *Expect) Check(n *yaml.Node) error {
	e.At = expectAt(n)
	if e.Outcome == "" {
		return yamldoc.At(n, "expect needs an outcome (one of %s)", codeList())
	}
	if slices.Contains(e.Never, e.Outcome) {
		return yamldoc.At(yamldoc.FindOr(n, "outcome"), "expect.outcome %s is also listed under never", e.Outcome)
	}
	if e.Settle < 0 || (e.Settle > 0 && e.Settle < MinSettle) {
		return &yamldoc.Error{Pos: e.At.Settle, Msg: fmt.Sprintf("expect.settle %v: want at least %v (default %v): a shorter window lets a quick wrong answer through", e.Settle, MinSettle, DefaultSettle)}
	}
	return checkExpect(e, n)
}

// Variant is one row of a scenario's matrix.
type Variant struct {
	// Name labels the variant; default: what it changes.
	Name string `yaml:"name"`
	// Card replaces the scenario's card.
	Card Ref `yaml:"card"`
	// Amount replaces the amount of every sale step.
	Amount Amount `yaml:"amount"`
	// Outcome replaces the expected outcome.
	Outcome outcome.Code `yaml:"outcome"`
	// Mutants, when set, replace the scenario's mutants for this variant.
	Mutants []Mutant `yaml:"mutants"`

	// outcomeAt is where Outcome is written: the variant's expect.outcome.
	outcomeAt yamldoc.Pos
}

// Check requires a variant to change something.
func (v *Variant) Check(n *yaml.Node) error {
	v.outcomeAt = keyAt(n, "outcome")
	if v.Card.Name == "" && v.Amount == 0 && v.Outcome == "" {
		return yamldoc.At(n, "a matrix variant changes card, amount or outcome")
	}
	return nil
}

func (v Variant) label() string {
	if v.Name != "" {
		return v.Name
	}
	var parts []string
	if v.Card.Name != "" {
		parts = append(parts, v.Card.Name)
	}
	if v.Amount != 0 {
		parts = append(parts, v.Amount.String())
	}
	if v.Outcome != "" {
		parts = append(parts, string(v.Outcome))
	}
	return strings.Join(parts, " ")
}

// Expand returns the scenario's variants as scenarios of their own, or the
// scenario itself when it has no matrix.
func (s *Scenario) Expand() []*Scenario {
	if len(s.Matrix) == 0 {
		return []*Scenario{s}
	}
	out := make([]*Scenario, 0, len(s.Matrix))
	for _, v := range s.Matrix {
		c := *s
		c.Matrix = nil
		c.Name = s.Name + " [" + v.label() + "]"
		if v.Card.Name != "" {
			c.Card = v.Card
		}
		c.Steps = make([]Step, len(s.Steps))
		for i, st := range s.Steps {
			if st.Sale != nil && v.Amount != 0 {
				sale := *st.Sale
				sale.Amount = v.Amount
				st.Sale = &sale
			}
			c.Steps[i] = st
		}
		if v.Outcome != "" {
			c.Expect.Outcome = v.Outcome
			c.Expect.At.Outcome = v.outcomeAt
		}
		if v.Mutants != nil {
			c.Mutants = v.Mutants
		}
		out = append(out, &c)
	}
	return out
}

// Load reads and validates one scenario file, unexpanded (see Expand;
// LoadFiles and LoadDir return every variant).
func Load(path string) (*Scenario, error) {
	var s Scenario
	if err := yamldoc.ReadFile(path, &s); err != nil {
		return nil, err
	}
	s.File = path
	return &s, nil
}

// Parse validates a scenario held in memory, named file in errors.
func Parse(file string, data []byte) (*Scenario, error) {
	var s Scenario
	if err := yamldoc.Decode(file, data, &s); err != nil {
		return nil, err
	}
	s.File = file
	return &s, nil
}

// ParseDoc validates a scenario from a root node of yamldoc.Parse, named
// file in errors.
func ParseDoc(file string, root *yaml.Node) (*Scenario, error) {
	var s Scenario
	if err := yamldoc.DecodeDoc(file, root, &s); err != nil {
		return nil, err
	}
	s.File = file
	return &s, nil
}

// Check validates the scenario as a whole; each problem is at the value
// that causes it.
func (s *Scenario) Check(n *yaml.Node) error {
	var errs []error
	add := func(node *yaml.Node, format string, args ...any) {
		errs = append(errs, yamldoc.At(node, format, args...))
	}
	if strings.TrimSpace(s.Name) == "" {
		add(yamldoc.FindOr(n, "name"), "scenario needs a name")
	}
	if len(s.Steps) == 0 {
		add(yamldoc.FindOr(n, "steps"), "scenario needs at least one step")
	}
	if v := yamldoc.Find(n, "timeout"); v != nil && s.Timeout <= 0 {
		add(v, "timeout %v: want a duration above zero (leave timeout out for the default %v)", s.Timeout, DefaultTimeout)
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Expect.Settle >= s.Timeout && s.Timeout > 0 {
		errs = append(errs, &yamldoc.Error{Pos: s.Expect.At.Settle,
			Msg: fmt.Sprintf("expect.settle %v is not shorter than the scenario's timeout %v", s.Expect.Settle, s.Timeout)})
	}
	for i, l := range s.Labels {
		if l == "" || strings.ContainsAny(l, "&|!,()/\"' \t") {
			add(yamldoc.Item(yamldoc.Find(n, "labels"), i), "label %q: labels cannot be empty or contain spaces or &|!,()/", l)
		}
	}
	if s.Expect.Outcome == "" {
		add(yamldoc.FindOr(n, "expect"), "scenario needs expect.outcome")
	}
	steps := yamldoc.Find(n, "steps")
	ids := map[string]bool{}
	for _, f := range s.Faults {
		ids[f.ID] = true
	}
	for i, st := range s.Steps {
		if st.Inject != nil {
			ids[st.Inject.ID] = true
		}
		if st.Clear != nil && !ids[*st.Clear] {
			add(yamldoc.FindOr(yamldoc.Item(steps, i), "clear"), "clear %q: no fault with that id is armed before this step", *st.Clear)
		}
	}
	at := func(line, col int, format string, args ...any) {
		errs = append(errs, &yamldoc.Error{Pos: yamldoc.Pos{Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)})
	}
	checkMutants(s.Mutants, at)
	for _, v := range s.Matrix {
		checkMutants(v.Mutants, at)
	}
	allVariantsCard := len(s.Matrix) > 0
	for _, v := range s.Matrix {
		allVariantsCard = allVariantsCard && v.Card.Name != ""
	}
	if s.Card.Name == "" && !allVariantsCard {
		for i, st := range s.Steps {
			if st.Insert != nil || st.PIN != nil || st.Swipe != nil {
				add(yamldoc.Item(steps, i), "this step presents a card, so the scenario needs card: (one of the shelf's card profiles)")
				break
			}
		}
	}
	for i, v := range s.Matrix {
		if v.Outcome != "" && slices.Contains(s.Expect.Never, v.Outcome) {
			add(yamldoc.FindOr(yamldoc.Item(yamldoc.Find(n, "matrix"), i), "outcome"), "matrix outcome %s is also listed under expect.never", v.Outcome)
		}
	}
	errs = append(errs, s.checkTiming(n), checkTransactions(s.Steps, steps))
	return join(errs...)
}

// LoadDir loads every *.yaml / *.yml under dir, sorted by path. Every file's
// problems are returned together; files that loaded are returned too.
func LoadDir(dir string) ([]*Scenario, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	return LoadFiles(paths)
}

// LoadFiles loads the named files; a directory is walked with LoadDir.
func LoadFiles(paths []string) ([]*Scenario, error) {
	var out []*Scenario
	var errs []error
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			ss, err := LoadDir(p)
			out = append(out, ss...)
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		s, err := Load(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s.Expand()...)
	}
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	return out, nil
}

// Filter keeps the scenarios whose labels match a Ginkgo label filter
// expression (e.g. "chip && !slow"), so `poshil run --label-filter` and the
// Ginkgo suite select the same scenarios.
func Filter(ss []*Scenario, expr string) ([]*Scenario, error) {
	if strings.TrimSpace(expr) == "" {
		return ss, nil
	}
	match, err := types.ParseLabelFilter(expr)
	if err != nil {
		return nil, fmt.Errorf("--label-filter %q: %w", expr, err)
	}
	var out []*Scenario
	for _, s := range ss {
		if match(s.Labels) {
			out = append(out, s)
		}
	}
	return out, nil
}

func codeList() string {
	names := make([]string, len(outcome.All))
	for i, c := range outcome.All {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// Ref names something on the shelf (a card profile) and remembers where the
// file named it, so a name that does not resolve is reported at its place.
type Ref struct {
	Name      string
	Line, Col int
}

// UnmarshalYAML takes a name.
func (r *Ref) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
		return yamldoc.At(n, "want a name")
	}
	*r = Ref{Name: n.Value, Line: n.Line, Col: n.Column}
	return nil
}

// Errorf reports a problem with the reference at its place in file.
func (r Ref) Errorf(file, format string, args ...any) error {
	return &yamldoc.Error{Pos: yamldoc.Pos{File: file, Line: r.Line, Col: r.Col}, Msg: fmt.Sprintf(format, args...)}
}
