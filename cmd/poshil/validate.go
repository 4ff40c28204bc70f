package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/inventory"
	"github.com/poshil/poshil/harness/plan"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

func init() { register(newValidateCmd) }

func newValidateCmd(a *app) *cobra.Command {
	var benchFile string
	c := &cobra.Command{
		Use:   "validate [flags] FILE...",
		Short: "Check scenario and bench files without a bench",
		Long: `Check scenario and bench files without moving a bench: every problem as
file:line:col: message, exit 3 if any. "-" reads standard input. Scenarios
are checked against the parts of --bench (default: the emulated bench).`,
		Example: `  poshil validate scenarios/chip/*.yaml
  poshil validate --bench lab.yaml lab.yaml scenarios/chip/approved-sale.yaml`,
		Args: cobra.MinimumNArgs(1),
	}
	c.Flags().StringVar(&benchFile, "bench", "", "check scenarios against this bench's parts (default: the emulated bench)")
	_ = c.MarkFlagFilename("bench", "yaml", "yml")
	c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		return a.exit(cmdValidate(benchFile, args, a.stdout, a.stderr))
	}
	return c
}

// cmdValidate checks scenario and bench files without moving a bench:
// every problem as file:line:col: message, exit 3 if any. Each file is
// read once ("-" is standard input); scenarios are checked against the
// bench's parts (benchFile, default the emulated bench). It links no
// driver (see package plan).
func cmdValidate(benchFile string, files []string, stdout, stderr io.Writer) int {
	b, err := loadBench(benchFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	parts := b.Parts()
	bad := 0
	if benchFile != "" {
		// The bench's own DUT program must exist; the embedded bench's
		// is checked when it runs (a validating host need not have it).
		if err := plan.CheckProgram(b, bench.LookupProgram); err != nil {
			fmt.Fprintln(stderr, err)
			bad++
		}
	}
	for _, path := range files {
		if err := validateFile(path, parts); err != nil {
			fmt.Fprintln(stderr, err)
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", path)
	}
	if bad > 0 {
		return verdict.ExitInvalid
	}
	return 0
}

// validateFile reads path once and checks it as a bench or a scenario,
// by its top-level keys.
func validateFile(path string, parts []fault.Part) error {
	data, err := yamldoc.Read(path)
	if err != nil {
		return err
	}
	root, err := yamldoc.Parse(path, data)
	if err != nil {
		return err
	}
	if isBench(root) {
		_, err := bench.ParseDoc(path, root)
		return err
	}
	if yamldoc.Find(root, "benches") != nil && yamldoc.Find(root, "steps") == nil {
		_, err := inventory.Load(path) // with its bench files
		return err
	}
	sc, err := scenario.ParseDoc(path, root)
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range sc.Expand() {
		errs = append(errs, plan.Check(v, parts))
	}
	return errors.Join(errs...)
}

// isBench sniffs the top-level keys: a bench has dut/ecr/host, a scenario
// has steps. Anything else is checked as a scenario, whose decoder reports
// the problem with its position.
func isBench(root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "steps", "expect":
			return false
		case "dut", "ecr", "host":
			return true
		}
	}
	return false
}
