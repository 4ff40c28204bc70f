package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

func init() { register(newListCmd) }

func newListCmd(a *app) *cobra.Command {
	var filter string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [flags] [SCENARIO|DIR...]",
		Short: "List the scenarios a run would pick, without a bench",
		Long: `List the scenarios a run would pick (default: scenarios), with their
labels and the reference-terminal mutants that prove them. No bench needed.`,
		Example: `  poshil list --label-filter chip
  poshil list --json scenarios | jq -r '.[].name'`,
	}
	c.Flags().StringVarP(&filter, "label-filter", "l", "", "only scenarios whose labels match (Ginkgo syntax)")
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array: name, file, labels, mutants")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		return a.exit(cmdList(args, filter, asJSON, a.stdout, a.stderr))
	}
	return c
}

// listed is one scenario in `poshil list --json`.
type listed struct {
	Name    string   `json:"name"`
	File    string   `json:"file"`
	Labels  []string `json:"labels"`
	Mutants []string `json:"mutants"`
}

// cmdList prints the scenarios a run would pick, with their labels and the
// mutants that prove them, without a bench.
func cmdList(paths []string, filter string, asJSON bool, stdout, stderr io.Writer) int {
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
	scs, err := scenario.LoadFiles(paths)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if scs, err = scenario.Filter(scs, filter); err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if asJSON {
		out := []listed{}
		for _, sc := range scs {
			out = append(out, listed{Name: sc.Name, File: sc.File, Labels: orEmpty(sc.Labels), Mutants: orEmpty(scenario.Names(sc.Mutants))})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "poshil list: %v\n", err)
			return verdict.ExitBenchError
		}
		return 0
	}
	for _, sc := range scs {
		line := fmt.Sprintf("%-52s %-28s %s", sc.File, "["+strings.Join(sc.Labels, ",")+"]", sc.Name)
		if len(sc.Mutants) > 0 {
			line += "  (mutants: " + strings.Join(scenario.Names(sc.Mutants), ", ") + ")"
		}
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stdout, "%d scenario(s)\n", len(scs))
	return 0
}

// orEmpty makes a nil list an empty one, so JSON says [] rather than null.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
