package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/harness/schema"
	"github.com/poshil/poshil/harness/verdict"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "schema scenario|bench",
		Short: "Print the JSON Schema of scenario or bench files, for editors",
		Long: `Print the JSON Schema (draft 2020-12) of scenario or bench files, for
editors: save it and point yaml-language-server at it, e.g. put
  # yaml-language-server: $schema=../poshil-scenario.schema.json
on the first line of a scenario file. See docs/scenarios.md.`,
		Example:   "  poshil schema scenario > poshil-scenario.schema.json",
		ValidArgs: []string{"scenario", "bench"},
		Args:      oneOf("scenario", "bench"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.exit(cmdSchema(args[0], a.stdout, a.stderr))
		},
	}
}

// cmdSchema prints the JSON Schema of scenario or bench files.
func cmdSchema(kind string, stdout, stderr io.Writer) int {
	s := schema.Scenario()
	if kind == "bench" {
		s = schema.Bench()
	}
	b, err := schema.Marshal(s)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitBenchError
	}
	if _, err := stdout.Write(b); err != nil {
		fmt.Fprintf(stderr, "poshil schema: %v\n", err)
		return verdict.ExitBenchError
	}
	return 0
}
