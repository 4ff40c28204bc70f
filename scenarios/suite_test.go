package scenarios_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/poshil/poshil/harness/bench"
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
var library = mustLoad()

func mustLoad() []*scenario.Scenario {
	scs, err := scenario.LoadDir(".")
	if err != nil {
		panic(err) // a broken scenario file must stop the suite, with file:line:col
	}
	return scs
}

var (
	emulated *bench.Bench
	rig      *runner.Rig
)

var _ = BeforeSuite(func(ctx SpecContext) {
	bin, err := gexec.Build("github.com/poshil/poshil/fixtures/terminal/cmd/refterm")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(gexec.CleanupBuildArtifacts)
	os.Setenv("POSHIL_BIN", filepath.Dir(bin))

	emulated, err = bench.Default()
	Expect(err).NotTo(HaveOccurred())
	rig, err = runner.Up(ctx, emulated, runner.Options{})
	Expect(err).NotTo(HaveOccurred(), "the emulated bench must come up (make deps starts pcscd)")
	DeferCleanup(rig.Close)
}, NodeTimeout(2*time.Minute))

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
	for _, sc := range library {
		It(sc.Name, Label(sc.Labels...), SpecTimeout(sc.Timeout+15*time.Second), func(ctx SpecContext) {
			res := rig.Run(ctx, sc)
			report(res)
			Expect(res.Class).To(Equal(verdict.Pass), "%s: %s", sc.File, res.Reason)
		})
	}
})

// Every scenario that checks firmware behaviour must be able to fail: each
// scenario lists the reference-terminal mutants (deliberate bugs) it must
// catch, and runs against each of them expecting FAIL with a reason.
var _ = Describe("terminal mutants", Label("mutant"), func() {
	for _, sc := range library {
		for _, m := range sc.Mutants {
			It(fmt.Sprintf("%s fails on mutant %s", sc.Name, m), Label(sc.Labels...), SpecTimeout(sc.Timeout+15*time.Second), func(ctx SpecContext) {
				res := rig.RunWith(ctx, sc, []string{"--mutant", m})
				report(res)
				Expect(res.Class).To(Equal(verdict.Fail), "scenario %s passed (or broke) on mutant %s: %s %s", sc.File, m, res.Class, res.Reason)
				Expect(res.Reason).NotTo(BeEmpty())
			})
		}
	}

	It("says expected vs got when the terminal reports DECLINED for a wrong PIN", func(ctx SpecContext) {
		sc, err := scenario.Load("chip/one-wrong-pin.yaml")
		Expect(err).NotTo(HaveOccurred())
		res := rig.RunWith(ctx, sc, []string{"--mutant", "wrong-pin-declined"})
		Expect(res.Class).To(Equal(verdict.Fail))
		Expect(res.Reason).To(ContainSubstring("expected INCORRECT_PIN with 2 tries left, got RESULT DECLINED"))
	}, SpecTimeout(time.Minute))

	It("every scenario with a fault names a mutant that proves it", func() {
		for _, sc := range library {
			if len(sc.Faults) > 0 || hasInject(sc) {
				Expect(sc.Mutants).NotTo(BeEmpty(), "%s injects faults but names no mutant", sc.File)
			}
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
