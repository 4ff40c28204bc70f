package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/shard"
	"github.com/poshil/poshil/harness/verdict"
)

func init() { register(newListCmd) }

func newListCmd(a *app) *cobra.Command {
	var filter, inv, shardSpec, durations string
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
	c.Flags().StringVar(&shardSpec, "shard", "", "list shard k of n (k/n), as poshil run --shard would run it")
	c.Flags().StringVar(&durations, "durations", "", "a record.json whose durations balance --shard")
	c.Flags().StringVar(&inv, "inventory", "", "say which bench of this inventory (- for the embedded one) each scenario goes to, and which cannot run")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if inv != "" {
			return a.exit(cmdListInventory(args, filter, inv, a.stdout, a.stderr))
		}
		return a.exit(cmdList(args, listOpts{filter: filter, shard: shardSpec, durations: durations, json: asJSON}, a.stdout, a.stderr))
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
// listOpts are poshil list's options.
type listOpts struct {
	filter, shard, durations string
	json                     bool
}

func cmdList(paths []string, o listOpts, stdout, stderr io.Writer) int {
	asJSON := o.json
	scs, ok := selectScenarios(paths, o.filter, stderr)
	if !ok {
		return verdict.ExitInvalid
	}
	if o.shard != "" {
		sp, err := shard.Parse(o.shard)
		if err != nil {
			fmt.Fprintln(stderr, "poshil list: --shard:", err)
			return verdict.ExitInvalid
		}
		var rec *report.Record
		if o.durations != "" {
			r, err := report.ReadFile(o.durations)
			if err != nil {
				fmt.Fprintln(stderr, "poshil list: --durations:", err)
				return verdict.ExitInvalid
			}
			rec = &r
		}
		scs = shardOf(scs, sp, rec)
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

// cmdListInventory prints which bench of an inventory each scenario goes
// to, and which no bench can run.
func cmdListInventory(paths []string, filter, inv string, stdout, stderr io.Writer) int {
	scs, ok := selectScenarios(paths, filter, stderr)
	if !ok {
		return verdict.ExitInvalid
	}
	return listInventory(inv, scs, stdout, stderr)
}

// selectScenarios loads the scenarios under paths (default: scenarios)
// and keeps those filter selects; a load or filter error is printed.
func selectScenarios(paths []string, filter string, stderr io.Writer) ([]*scenario.Scenario, bool) {
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
	scs, err := scenario.LoadFiles(paths)
	if err == nil {
		scs, err = scenario.Filter(scs, filter)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return scs, true
}
