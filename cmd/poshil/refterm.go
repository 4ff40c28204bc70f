package main

import (
	"io"

	"github.com/poshil/poshil/fixtures/terminal"
	"github.com/poshil/poshil/harness/bench"
)

// The reference terminal ships inside poshil: `poshil refterm` is the
// emulated bench's DUT, started by the bench as a process of its own
// when no refterm program is installed (go install gives one binary).
func init() {
	bench.RegisterBuiltin("refterm")
	register(legacy("refterm", "Run the reference terminal, the emulated bench's DUT (a process of its own)",
		func(args []string, _, stderr io.Writer) int { return terminal.Command(args, stderr) }))
}
