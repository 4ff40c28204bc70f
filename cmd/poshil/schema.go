package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/harness/schema"
	"github.com/poshil/poshil/harness/verdict"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd(a *app) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "schema scenario|bench | schema --write DIR",
		Short: "Print the JSON Schema of scenario or bench files, for editors",
		Long: `Print the JSON Schema (draft 2020-12) of scenario or bench files, for
editors: save it and point yaml-language-server at it, e.g. put
  # yaml-language-server: $schema=../poshil-scenario.schema.json
on the first line of a scenario file. With --write DIR, both schemas go
to DIR (poshil-scenario.schema.json, poshil-bench.schema.json) and the
modelines to use are printed. See docs/scenarios.md.`,
		Example: `  poshil schema scenario > poshil-scenario.schema.json
  poshil schema --write my-lab`,
		ValidArgs: []string{"scenario", "bench"},
		Args: func(cmd *cobra.Command, args []string) error {
			if dir != "" {
				return cobra.NoArgs(cmd, args)
			}
			return oneOf("scenario", "bench")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir != "" {
				return a.exit(writeSchemas(dir, a.stdout, a.stderr))
			}
			return a.exit(cmdSchema(args[0], a.stdout, a.stderr))
		},
	}
	c.Flags().StringVar(&dir, "write", "", "write both schemas into this folder (made if missing) for editors")
	_ = c.MarkFlagDirname("write")
	return c
}

// Schema file names, as the shipped files and modelines use them.
const (
	scenarioSchemaFile = "poshil-scenario.schema.json"
	benchSchemaFile    = "poshil-bench.schema.json"
)

// writeSchemas writes both schemas into dir and prints the modelines.
func writeSchemas(dir string, stdout, stderr io.Writer) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "poshil schema: %v\n", err)
		return verdict.ExitInvalid
	}
	for name, s := range map[string]map[string]any{scenarioSchemaFile: schema.Scenario(), benchSchemaFile: schema.Bench()} {
		b, err := schema.Marshal(s)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "poshil schema: %v\n", err)
			return verdict.ExitInvalid
		}
	}
	fmt.Fprintf(stdout, "wrote %s and %s; first line of a scenario (or bench) file there:\n  # yaml-language-server: $schema=%s\n",
		filepath.Join(dir, scenarioSchemaFile), filepath.Join(dir, benchSchemaFile), scenarioSchemaFile)
	return 0
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
