package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
)

// cmdList prints the scenarios a run would pick, with their labels and the
// mutants that prove them, without a bench.
func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("poshil list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	filter := fs.String("label-filter", "", "only scenarios whose labels match (Ginkgo syntax)")
	invFile := fs.String("inventory", "", "say which bench of this inventory (- for the embedded one) each scenario goes to, and which cannot run")
	if err := fs.Parse(args); err != nil {
		return verdict.ExitInvalid
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
	scs, err := scenario.LoadFiles(paths)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if scs, err = scenario.Filter(scs, *filter); err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	if *invFile != "" {
		return listInventory(*invFile, scs, stdout, stderr)
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
