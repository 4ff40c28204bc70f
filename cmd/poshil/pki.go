package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/poshil/poshil/fixtures/pki"
	"github.com/poshil/poshil/harness/verdict"
)

func init() {
	register(legacy("pki", "Write poshil's test CA public key files (derived from a seed) for terminals to load", pkiCmd))
}

// pkiCmd is `poshil pki [--seed S] [--root DIR]`: it derives the test PKI
// from the seed and writes the CA public key files (package pki, Files)
// under the repository root DIR (default "."), printing each path.
func pkiCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pki", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.String("seed", pki.Seed, "seed the keys are derived from")
	root := fs.String("root", ".", "repository root the files are written under")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: poshil pki [--seed S] [--root DIR]")
		return verdict.ExitInvalid
	}
	files, err := pki.Files(*seed)
	if err != nil {
		fmt.Fprintln(stderr, "poshil pki:", err)
		return verdict.ExitInvalid
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		dst := filepath.Join(*root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			fmt.Fprintln(stderr, "poshil pki:", err)
			return verdict.ExitBenchError
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			fmt.Fprintln(stderr, "poshil pki:", err)
			return verdict.ExitBenchError
		}
		fmt.Fprintln(stdout, dst)
	}
	return 0
}
