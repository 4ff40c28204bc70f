package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoProgram is a DUT program that cannot be found or run.
var ErrNoProgram = errors.New("DUT program not found")

// LookupProgram finds the DUT program a bench names: a path as it is, a
// bare name beside the running poshil binary, in $POSHIL_BIN, then on
// $PATH. Not found is ErrNoProgram.
func LookupProgram(name string) (string, error) {
	if strings.ContainsRune(name, '/') {
		st, err := os.Stat(name)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNoProgram, err)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%w: %s is not an executable file", ErrNoProgram, name)
		}
		return name, nil
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	if d := os.Getenv("POSHIL_BIN"); d != "" {
		dirs = append(dirs, filepath.SplitList(d)...)
	}
	for _, d := range dirs {
		cand := filepath.Join(d, name)
		if st, err := os.Stat(cand); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return cand, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not beside poshil, in $POSHIL_BIN or on $PATH (run make build)", ErrNoProgram, name)
	}
	return p, nil
}
