package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/poshil/poshil/fixtures/terminal"
	"github.com/poshil/poshil/harness/bench"
)

// checkMutants refuses --mutant before anything runs: a mutant is a
// deliberate bug of the reference terminal, so the bench's DUT must be
// refterm and every name one it knows. Without this a typo reached refterm,
// which exited at once, and the run reported the firmware as FAIL.
func checkMutants(b *bench.Bench, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if p := b.DUT.Process; p == nil || len(p.Command) == 0 || filepath.Base(p.Command[0]) != "refterm" {
		return fmt.Errorf("--mutant: mutants are bugs of the reference terminal (refterm), and bench %s does not run it", b.Name)
	}
	var bad []string
	for _, n := range names {
		if _, ok := terminal.Mutants[n]; !ok {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("--mutant: unknown mutant %s (known: %s)", strings.Join(bad, ", "), strings.Join(terminal.MutantNames(), ", "))
	}
	return nil
}
