package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md from the commands' help")

// cliDoc is docs/cli.md: every command's --help, as poshil prints it.
func cliDoc(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# poshil command line\n\n")
	b.WriteString("Generated from `poshil COMMAND --help` by `go test ./cmd/poshil -run TestCLIDoc -update`; do not edit.\n")
	for _, c := range commands(t) {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		var out, errOut bytes.Buffer
		if code := execute(context.Background(), append(pathArgs(c), "--help"), &out, &errOut); code != 0 {
			t.Fatalf("%s --help: exit %d: %s", c.CommandPath(), code, errOut.String())
		}
		fmt.Fprintf(&b, "\n## %s\n\n```\n%s```\n", c.CommandPath(), out.String())
	}
	return b.Bytes()
}

// TestCLIDoc: docs/cli.md is the commands' own help; it fails when they
// drift apart (go test ./cmd/poshil -run TestCLIDoc -update rewrites it).
func TestCLIDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "cli.md")
	want := cliDoc(t)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/cli.md is out of date: go test ./cmd/poshil -run TestCLIDoc -update")
	}
}
