package scenarios_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/poshil/poshil/fixtures/terminal"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/isolated"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "poshil scenario library")
}

// library is every scenario file in this folder, loaded at tree
// construction so each becomes its own spec with its own labels.
var library = mustLoad(".")

// mustLoad loads the library; a broken file or an unknown mutant stops
// the suite with file:line:col.
func mustLoad(dir string) []*scenario.Scenario {
	scs, err := loadChecked(dir)
	if err != nil {
		panic(err)
	}
	return scs
}

// loadChecked loads the scenarios under dir and checks every mutant name
// against the reference terminal's list (a typo would otherwise "kill" by
// making the terminal exit at once).
func loadChecked(dir string) ([]*scenario.Scenario, error) {
	scs, err := scenario.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, sc := range scs {
		errs = append(errs, sc.CheckMutants(terminal.MutantNames()))
	}
	return scs, errors.Join(errs...)
}

// rig is the emulated bench, brought up by the first spec that needs it.
// Under `ginkgo -p` as root each Ginkgo process brings up an isolated bench
// of its own (package isolated: bench GinkgoParallelProcess(), its own
// pcscd, reader and card port), so the library's specs spread over the
// processes. Where isolated benches cannot run, every such spec is Serial
// (onBench), and Ginkgo runs Serial specs on parallel process 1 only, so
// `ginkgo -p` never runs two scenarios on the one bench (one reader, one
// card slot, one ECR line) at once. Specs that need no bench (the mutant
// rules) never start one.
var rig *runner.Rig

// own is this process's isolated bench, if it has one.
var own *isolated.Bench

// perProcessBench says whether each Ginkgo process gets an isolated bench:
// several processes, and a host that can run them.
func perProcessBench() bool {
	suite, _ := GinkgoConfiguration()
	return suite.ParallelTotal > 1 && isolated.Supported() == nil
}

// onBench decorates a spec that needs the bench: Serial when the
// processes share the one bench, nothing when each has its own. It is
// called as the tree is built, after Ginkgo's flags are read.
func onBench() any {
	if perProcessBench() {
		return Label()
	}
	return Serial
}

// upRig builds the reference terminal and brings the emulated bench up,
// once per process.
func upRig(ctx SpecContext) {
	if rig != nil {
		return
	}
	bin, err := gexec.Build("github.com/poshil/poshil/fixtures/terminal/cmd/refterm")
	Expect(err).NotTo(HaveOccurred())
	os.Setenv("POSHIL_BIN", filepath.Dir(bin))
	emulated, err := bench.Default()
	Expect(err).NotTo(HaveOccurred())
	if perProcessBench() {
		// Bench k for process k, or the first free one if another run
		// holds it; this process's PC/SC is that bench's pcscd
		// (libpcsclite reads PCSCLITE_CSOCK_NAME at its first call).
		own, err = isolated.Start(ctx, GinkgoParallelProcess())
		if errors.Is(err, lease.ErrBusy) {
			var bs []*isolated.Bench
			bs, err = isolated.StartFree(ctx, 1)
			if err == nil {
				own = bs[0]
			}
		}
		Expect(err).NotTo(HaveOccurred(), "isolated bench for Ginkgo process %d", GinkgoParallelProcess())
		os.Setenv("PCSCLITE_CSOCK_NAME", own.Socket)
		emulated, err = own.Desc()
		Expect(err).NotTo(HaveOccurred())
	}
	r, err := runner.Up(ctx, emulated, runner.Options{})
	Expect(err).NotTo(HaveOccurred(), "the emulated bench must come up (make deps starts pcscd)")
	rig = r
}

var _ = AfterSuite(func() {
	if rig != nil {
		rig.Close()
	}
	if own != nil {
		own.Stop()
	}
	gexec.CleanupBuildArtifacts()
})

// report attaches the scenario's evidence to the Ginkgo report.
func report(res verdict.Result) {
	if res.Evidence == nil {
		return
	}
	for _, l := range res.Evidence.Transcript {
		GinkgoWriter.Printf("%9.3fms %-6s %s\n", float64(l.At.Microseconds())/1000, l.Source, l.Text)
	}
	if res.Evidence.DUTLog != "" {
		GinkgoWriter.Printf("--- terminal log ---\n%s", res.Evidence.DUTLog)
	}
}

var _ = Describe("scenario library", func() {
	BeforeEach(upRig, NodeTimeout(2*time.Minute))
	for _, sc := range library {
		It(sc.Name, Label(sc.Labels...), onBench(), SpecTimeout(sc.Timeout+15*time.Second), func(ctx SpecContext) {
			res := rig.Run(ctx, sc)
			report(res)
			Expect(res.Class).To(Equal(verdict.Pass), "%s: %s", sc.File, res.Reason)
		})
	}
})

// Every scenario that checks firmware behaviour must be able to fail for
// its own reason: each scenario lists the reference-terminal mutants
// (deliberate bugs) it must catch with what the FAIL must say, and runs
// against each of them expecting exactly that.
var _ = Describe("terminal mutants", Label("mutant"), func() {
	BeforeEach(upRig, NodeTimeout(2*time.Minute))
	for _, sc := range library {
		for _, m := range sc.Mutants {
			It(fmt.Sprintf("%s fails on mutant %s", sc.Name, m.Name), Label(sc.Labels...), onBench(), SpecTimeout(sc.Timeout+15*time.Second), func(ctx SpecContext) {
				res := rig.RunWith(ctx, sc, []string{"--mutant", m.Name})
				report(res)
				err := killed(res, m)
				AddReportEntry(mutantEntry, kill{Mutant: m.Name, Scenario: sc.File, Declared: m.Reason, Class: string(res.Class), Reason: res.Reason, Killed: err == nil}.json())
				Expect(err).NotTo(HaveOccurred(), "%s:%d:%d", sc.File, m.Line, m.Col)
			})
		}
	}

	// The crash rule is checked against the runner's real words: a terminal
	// that exits at boot (here refterm refusing a mutant name, as a typo
	// would) fails the run, and that FAIL must not count as a kill even for
	// a declared reason the message happens to contain.
	It("counts no kill when the terminal exits at boot", onBench(), func(ctx SpecContext) {
		sc, err := scenario.Load("host/response-91.yaml")
		Expect(err).NotTo(HaveOccurred())
		res := rig.RunWith(ctx, sc, []string{"--mutant", "no-such-mutant"})
		report(res)
		Expect(res.Class).To(Equal(verdict.Fail), res.Reason)
		Expect(killed(res, scenario.Mutant{Name: "no-such-mutant", Reason: "READY"})).To(MatchError(ContainSubstring("crash or boot failure")))
	}, SpecTimeout(time.Minute))

	It("says expected vs got when the terminal reports DECLINED for a wrong PIN", onBench(), func(ctx SpecContext) {
		sc, err := scenario.Load("chip/one-wrong-pin.yaml")
		Expect(err).NotTo(HaveOccurred())
		res := rig.RunWith(ctx, sc, []string{"--mutant", terminal.MutantWrongPINDeclined})
		Expect(res.Class).To(Equal(verdict.Fail))
		Expect(res.Reason).To(ContainSubstring("expected INCORRECT_PIN with 2 tries left, got RESULT DECLINED"))
	}, SpecTimeout(time.Minute))
})
