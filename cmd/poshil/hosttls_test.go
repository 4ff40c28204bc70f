package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// poshil tls writes the committed host TLS files, byte for byte.
func TestTLSCommandReproducesCommittedFiles(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := tlsCmd([]string{"--out", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	paths := strings.Fields(out.String())
	if len(paths) != 7 {
		t.Fatalf("wrote %q", paths)
	}
	for _, p := range paths {
		got, _ := os.ReadFile(p)
		want, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "hosttls", "testdata", filepath.Base(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: differs from the committed file (%v)", filepath.Base(p), err)
		}
	}
	if code := tlsCmd([]string{"extra"}, &out, &errb); code != 3 {
		t.Errorf("stray argument: exit %d, want 3", code)
	}
}
