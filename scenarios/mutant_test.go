package scenarios_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/poshil/poshil/fixtures/terminal"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

// crashMarks are what a FAIL reason says when the terminal died or never
// booted, rather than answered wrong: such a FAIL is no kill unless the
// mutant's declared reason is about that very thing.
var crashMarks = []string{"did not report READY", "terminal process"}

// killed reports whether a run against mutant m killed it for its own
// reason: a FAIL whose reason contains the declared substring, and not a
// crash or a boot failure unless the declared reason names one.
func killed(res verdict.Result, m scenario.Mutant) error {
	if res.Class != verdict.Fail {
		return fmt.Errorf("mutant %s survived: %s %s (want FAIL with %q)", m.Name, res.Class, res.Reason, m.Reason)
	}
	for _, mark := range crashMarks {
		if strings.Contains(res.Reason, mark) && !strings.Contains(m.Reason, mark) {
			return fmt.Errorf("mutant %s: FAIL by a crash or boot failure (%q), which is no kill: %s", m.Name, mark, res.Reason)
		}
	}
	if !strings.Contains(res.Reason, m.Reason) {
		return fmt.Errorf("mutant %s: FAIL for another reason: %q does not contain %q", m.Name, res.Reason, m.Reason)
	}
	return nil
}

// mutantEntry names the report entry each mutant spec adds (a kill as JSON).
const mutantEntry = "mutant"

// kill is one mutant spec's outcome, for docs/mutants.md.
type kill struct {
	Mutant, Scenario, Declared, Class, Reason string
	Killed                                    bool
}

// json is the kill as a report entry's value: entries cross from parallel
// processes as text.
func (k kill) json() string {
	b, err := json.Marshal(k)
	if err != nil {
		panic(err) // strings and a bool always marshal
	}
	return string(b)
}

// The mutant table: with POSHIL_MUTANT_TABLE set (make mutants), the
// suite writes every mutant spec's outcome there as Markdown.
var _ = ReportAfterSuite("mutant table", func(r Report) {
	path := os.Getenv("POSHIL_MUTANT_TABLE")
	if path == "" {
		return
	}
	var kills []kill
	for _, s := range r.SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name != mutantEntry {
				continue
			}
			var k kill
			if err := json.Unmarshal([]byte(e.StringRepresentation()), &k); err != nil {
				Fail(fmt.Sprintf("mutant report entry: %v", err))
			}
			kills = append(kills, k)
		}
	}
	if len(kills) == 0 {
		return
	}
	Expect(os.WriteFile(path, []byte(mutantTable(kills)), 0o644)).To(Succeed())
})

// timing is when a quoted report came ("at +397ms"), left out of the
// table so that it changes only when a verdict does.
var timing = regexp.MustCompile(` at \+[0-9.]+(ns|µs|ms|s|m)+`)

// mutantTable renders kills as docs/mutants.md.
func mutantTable(kills []kill) string {
	slices.SortFunc(kills, func(a, b kill) int {
		return strings.Compare(a.Mutant+"\x00"+a.Scenario, b.Mutant+"\x00"+b.Scenario)
	})
	n, names := 0, map[string]bool{}
	for _, k := range kills {
		names[k.Mutant] = true
		if k.Killed {
			n++
		}
	}
	var b strings.Builder
	b.WriteString("# Mutants\n\n")
	b.WriteString("Written by `make mutants`: every scenario run against each reference\n")
	b.WriteString("terminal mutant (deliberate bug, `refterm --list-mutants`) it names. A\n")
	b.WriteString("mutant is killed only by a FAIL whose reason contains the reason the\n")
	b.WriteString("scenario declares; a crash or a boot failure is no kill.\n\n")
	fmt.Fprintf(&b, "killed %d/%d (%d mutants)\n\n", n, len(kills), len(names))
	b.WriteString("| mutant | scenario | declared reason | verdict | the run's reason |\n|---|---|---|---|---|\n")
	cell := func(s string) string {
		s = timing.ReplaceAllString(s, "")
		return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
	}
	for _, k := range kills {
		v := "killed"
		if !k.Killed {
			v = "**not killed** (" + k.Class + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", k.Mutant, k.Scenario, cell(k.Declared), v, cell(k.Reason))
	}
	return b.String()
}

var _ = Describe("mutant kills", Label("mutant-rules"), func() {
	m := scenario.Mutant{Name: "rc-91-declined", Reason: "expected ISSUER_UNAVAILABLE as the final result"}
	DescribeTable("killed",
		func(res verdict.Result, m scenario.Mutant, want string) {
			err := killed(res, m)
			if want == "" {
				Expect(err).NotTo(HaveOccurred())
			} else {
				Expect(err).To(MatchError(ContainSubstring(want)))
			}
		},
		Entry("FAIL for the declared reason", verdict.Result{Class: verdict.Fail, Reason: "host/response-91.yaml:12:12: expect.outcome: expected ISSUER_UNAVAILABLE as the final result of sale P1, got RESULT code=DECLINED ref=P1"}, m, ""),
		Entry("FAIL for another reason", verdict.Result{Class: verdict.Fail, Reason: "expected the host to receive 0 reversal(s), got 1"}, m, "another reason"),
		Entry("PASS", verdict.Result{Class: verdict.Pass}, m, "survived"),
		Entry("BENCH_ERROR with the reason", verdict.Result{Class: verdict.BenchError, Reason: "expected ISSUER_UNAVAILABLE as the final result"}, m, "survived"),
		Entry("terminal exits at once (a mistyped mutant)",
			verdict.Result{Class: verdict.Fail, Reason: "terminal did not report READY within 10s: no READY: the terminal process ended (terminal process exit status 3); expected ISSUER_UNAVAILABLE as the final result"}, m, "crash or boot failure"),
		Entry("terminal crashes mid-sale",
			verdict.Result{Class: verdict.Fail, Reason: "expected ISSUER_UNAVAILABLE: no RESULT: the terminal process ended (terminal process signal: segmentation fault)"},
			scenario.Mutant{Name: "x", Reason: "ISSUER_UNAVAILABLE"}, "crash or boot failure"),
		Entry("a crash declared as the reason",
			verdict.Result{Class: verdict.Fail, Reason: "no RESULT: the terminal process ended (terminal process exit status 2)"},
			scenario.Mutant{Name: "x", Reason: "terminal process exit status 2"}, ""),
	)

	It("refuses a mutant name the reference terminal does not know, at its file:line:col", func() {
		dir := GinkgoT().TempDir()
		body := "name: typo\ncard: visa-credit\nsteps: [{sale: 1}]\nexpect: {outcome: DECLINED}\nmutants:\n  - {name: host-decline-aproved, reason: x}\n"
		Expect(os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte(body), 0o600)).To(Succeed())
		_, err := loadChecked(dir)
		Expect(err).To(MatchError(yamldoc.ErrInvalid))
		Expect(err).To(MatchError(ContainSubstring("typo.yaml:6:5: unknown mutant \"host-decline-aproved\"")))
	})

	It("every scenario with a fault names a mutant that proves it", func() {
		for _, sc := range library {
			if len(sc.Faults) > 0 || hasInject(sc) {
				Expect(sc.Mutants).NotTo(BeEmpty(), "%s injects faults but names no mutant", sc.File)
			}
		}
	})

	It("names every mutant of the reference terminal in some scenario, with a reason", func() {
		named := map[string]bool{}
		for _, sc := range library {
			for _, m := range sc.Mutants {
				Expect(strings.TrimSpace(m.Reason)).NotTo(BeEmpty(), "%s:%d:%d", sc.File, m.Line, m.Col)
				named[m.Name] = true
			}
		}
		for _, name := range terminal.MutantNames() {
			Expect(named).To(HaveKey(name), "no scenario proves it can catch mutant %s (%s)", name, terminal.Mutants[name])
		}
	})

	It("gives each host response-code scenario a mutant no other scenario names", func() {
		namedBy := map[string][]string{}
		for _, sc := range library {
			for _, m := range sc.Mutants {
				namedBy[m.Name] = append(namedBy[m.Name], sc.File)
			}
		}
		hosts := 0
		for _, sc := range library {
			if !strings.HasPrefix(sc.File, "host/") {
				continue
			}
			hosts++
			own := slices.ContainsFunc(sc.Mutants, func(m scenario.Mutant) bool {
				return len(namedBy[m.Name]) == 1
			})
			Expect(own).To(BeTrue(), "%s: every mutant it names is named elsewhere too, so none proves its own code mapping", sc.File)
		}
		Expect(hosts).To(BeNumerically(">=", 11))
	})

	It("runs each trigger kind end to end in a scenario that names a mutant", func() {
		used := map[string][]string{}
		for _, sc := range library {
			if len(sc.Mutants) == 0 {
				continue
			}
			for _, f := range sc.Faults {
				used[triggerKind(f.When)] = append(used[triggerKind(f.When)], sc.File)
			}
			for _, st := range sc.Steps {
				if st.Inject != nil {
					used[triggerKind(st.Inject.When)] = append(used[triggerKind(st.Inject.When)], sc.File)
				}
			}
		}
		for _, kind := range []string{"after", "apdu", "mti", "ecr", "bytes"} {
			Expect(used).To(HaveKey(kind), "no scenario with a mutant uses a %s trigger", kind)
		}
	})
})

func hasInject(sc *scenario.Scenario) bool {
	for _, st := range sc.Steps {
		if st.Inject != nil {
			return true
		}
	}
	return false
}

// triggerKind names the condition a trigger waits for.
func triggerKind(t fault.Trigger) string {
	switch {
	case t.After > 0:
		return "after"
	case t.APDU != nil:
		return "apdu"
	case t.MTI != "":
		return "mti"
	case t.ECR != "":
		return "ecr"
	case t.Bytes > 0:
		return "bytes"
	}
	return "now"
}
