package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

// cmdValidate checks scenario and bench files without a bench: every
// problem as file:line:col: message, exit 3 if any.
func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("poshil validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	benchFile := fs.String("bench", "", "check scenarios against this bench's parts (default: the emulated bench)")
	if err := fs.Parse(args); err != nil {
		return verdict.ExitInvalid
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: poshil validate [--bench FILE] FILE...")
		return verdict.ExitInvalid
	}
	b, err := loadBench(*benchFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	parts := runner.BenchParts(b)
	bad := 0
	for _, path := range fs.Args() {
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

func validateFile(path string, parts []fault.Part) error {
	if isBenchFile(path) {
		_, err := bench.Load(path)
		return err
	}
	sc, err := scenario.Load(path)
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range sc.Expand() {
		errs = append(errs, runner.CheckScenario(v, parts))
	}
	return errors.Join(errs...)
}

// isBenchFile sniffs the top-level keys: a bench has dut/ecr/host, a
// scenario has steps. Unreadable files are treated as scenarios, whose
// loader reports the problem with its position.
func isBenchFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var doc yaml.Node
	if err := yaml.NewDecoder(io.LimitReader(f, yamldoc.MaxFileSize)).Decode(&doc); err != nil || len(doc.Content) == 0 {
		return false
	}
	root := doc.Content[0]
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
