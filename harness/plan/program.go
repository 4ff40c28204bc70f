package plan

import (
	"fmt"
	"strings"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/yamldoc"
)

// CheckProgram checks that the DUT program a bench starts can be found
// (lookup: bench.LookupProgram, or the runner's own): a bench naming a
// program that does not exist is INVALID at the program's place in the
// bench file, before anything runs, never a FAIL of the firmware (a shell
// would say exit 127) nor a bench error. A program named through a
// placeholder ({workdir}/...) is known only at start and not checked here.
func CheckProgram(b *bench.Bench, lookup func(string) (string, error)) error {
	p := b.DUT.Process
	if p == nil || len(p.Command) == 0 || strings.Contains(p.Command[0], "{") {
		return nil
	}
	if _, _, err := bench.ResolveCommand(p.Command, lookup); err != nil {
		return &yamldoc.Error{Pos: p.ProgramAt, Msg: fmt.Sprintf("dut.process.command: %v", err), Err: bench.ErrNoProgram}
	}
	return nil
}
