package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
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
	if err := writeTree(*root, files, stdout); err != nil {
		fmt.Fprintln(stderr, "poshil pki:", err)
		return verdict.ExitBenchError
	}
	return 0
}

// writeTree writes each of files (slash-separated paths under root, as
// the fixture packages name them) under root, folders made as needed,
// and prints each path written, in order.
func writeTree(root string, files map[string][]byte, stdout io.Writer) error {
	for _, p := range slices.Sorted(maps.Keys(files)) {
		dst := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, dst)
	}
	return nil
}
