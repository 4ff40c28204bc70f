package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// poshil pki writes the committed CA key files, byte for byte.
func TestPKICommandReproducesCommittedFiles(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := pkiCmd([]string{"--root", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	paths := strings.Fields(out.String())
	if len(paths) != 3 {
		t.Fatalf("wrote %q", paths)
	}
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		got, _ := os.ReadFile(p)
		want, err := os.ReadFile(filepath.Join("..", "..", rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: differs from the committed file (%v)", rel, err)
		}
	}
	if code := pkiCmd([]string{"extra"}, &out, &errb); code != 3 {
		t.Errorf("stray argument: exit %d, want 3", code)
	}
}
