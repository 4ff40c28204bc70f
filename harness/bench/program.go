package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// builtins are DUT programs the running binary carries as subcommands
// (poshil refterm), registered by the binary that has them.
var builtins sync.Map // name -> struct{}

// RegisterBuiltin says the running binary runs the program name as its
// subcommand of that name ("poshil refterm ..."), so a bench naming it
// works where no such program is installed (go install gives one binary).
func RegisterBuiltin(name string) { builtins.Store(name, struct{}{}) }

// ResolveCommand turns a bench's argv into the one to start: argv[0]
// found by lookup (a path, beside poshil, $POSHIL_BIN, $PATH), else, for
// a builtin, the running binary with the builtin's name as its first
// argument. Not found is ErrNoProgram.
func ResolveCommand(argv []string, lookup func(string) (string, error)) (path string, args []string, err error) {
	path, err = lookup(argv[0])
	if err == nil {
		return path, argv[1:], nil
	}
	if _, ok := builtins.Load(argv[0]); ok && !strings.ContainsRune(argv[0], '/') {
		exe, xerr := os.Executable()
		if xerr == nil {
			return exe, argv, nil
		}
	}
	return "", nil, err
}
