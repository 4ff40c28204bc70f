package main

import (
	"fmt"
	"io"

	"github.com/poshil/poshil/harness/schema"
	"github.com/poshil/poshil/harness/verdict"
)

const schemaUsage = `usage: poshil schema scenario|bench

Prints the JSON Schema (draft 2020-12) of scenario or bench files, for
editors: save it and point yaml-language-server at it, e.g. put
  # yaml-language-server: $schema=../poshil-scenario.schema.json
on the first line of a scenario file. See docs/scenarios.md.
`

// cmdSchema prints the JSON Schema of scenario or bench files.
func cmdSchema(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, schemaUsage)
		return verdict.ExitInvalid
	}
	var s map[string]any
	switch args[0] {
	case "scenario":
		s = schema.Scenario()
	case "bench":
		s = schema.Bench()
	case "help", "-h", "--help":
		fmt.Fprint(stdout, schemaUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "poshil schema: unknown kind %q\n\n%s", args[0], schemaUsage)
		return verdict.ExitInvalid
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
