package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/poshil/poshil/fixtures/hosttls"
	"github.com/poshil/poshil/harness/verdict"
)

func init() {
	register(legacy("tls", "Write poshil's test TLS CA and host certificates (derived from a seed) for terminals and hosts to load", tlsCmd))
}

// tlsCmd is `poshil tls [--seed S] [--out DIR]`: it derives the host TLS
// test PKI (package hosttls) from the seed and writes its files into DIR
// (default fixtures/hosttls/testdata), printing each path: ca.pem is
// what a terminal trusts, host.pem and host-key.pem what the host serves.
func tlsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.String("seed", hosttls.Seed, "seed the keys are derived from")
	out := fs.String("out", filepath.Join("fixtures", "hosttls", "testdata"), "folder the files are written to")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: poshil tls [--seed S] [--out DIR]")
		return verdict.ExitInvalid
	}
	set, err := hosttls.Build(*seed)
	if err != nil {
		fmt.Fprintln(stderr, "poshil tls:", err)
		return verdict.ExitInvalid
	}
	files, err := set.Files()
	if err != nil {
		fmt.Fprintln(stderr, "poshil tls:", err)
		return verdict.ExitInvalid
	}
	if err := writeTree(*out, files, stdout); err != nil {
		fmt.Fprintln(stderr, "poshil tls:", err)
		return verdict.ExitBenchError
	}
	return 0
}
