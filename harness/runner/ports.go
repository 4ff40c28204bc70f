package runner

import (
	"fmt"
	"os"
	"syscall"

	"github.com/poshil/poshil/harness/verdict"
)

// checkPorts checks that the serial ports the DUT is given ({ecr}, {msr})
// open, before the DUT starts: a port that cannot open is the bench's
// fault (BENCH_ERROR), whichever part it is, never the DUT's.
func checkPorts(vars map[string]string) error {
	for _, p := range []struct{ part, key string }{{"ecr line", "{ecr}"}, {"msr line", "{msr}"}, {"printer line", "{printer}"}, {"keypad line", "{keypad}"}} {
		path := vars[p.key]
		if path == "" {
			continue
		}
		f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return verdict.Bench(p.part, fmt.Errorf("the DUT's port %s cannot open: %w", path, err))
		}
		_ = f.Close()
	}
	return nil
}
