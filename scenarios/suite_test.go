package scenarios_test

import (
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
// entry runs a scenario against the reference terminal started with a
// deliberate bug, and the scenario must FAIL with a reason that says what
// was expected and what came instead.
var _ = Describe("terminal mutants", Label("mutant"), func() {
	DescribeTable("the scenario fails on the mutant",
		func(ctx SpecContext, file, mutant, reason string) {
			sc, err := scenario.Load(file)
			Expect(err).NotTo(HaveOccurred())
			mrig, err := runner.Up(ctx, emulated, runner.Options{DUTArgs: []string{"--mutant", mutant}})
			Expect(err).NotTo(HaveOccurred())
			defer mrig.Close()
			res := mrig.Run(ctx, sc)
			report(res)
			Expect(res.Class).To(Equal(verdict.Fail), "scenario %s passed on mutant %s", file, mutant)
			Expect(res.Reason).To(ContainSubstring(reason))
		},
		Entry(nil, "chip/one-wrong-pin.yaml", "wrong-pin-declined", "expected INCORRECT_PIN with 2 tries left, got RESULT DECLINED", SpecTimeout(time.Minute)),
		Entry(nil, "chip/three-wrong-pins.yaml", "pin-tries-ignored", "expected outcome PIN_TRIES_EXCEEDED", SpecTimeout(time.Minute)),
		Entry(nil, "host/insufficient-funds.yaml", "host-decline-approved", "the terminal reported APPROVED, which this scenario forbids", SpecTimeout(time.Minute)),
	)
})
