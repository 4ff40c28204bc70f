package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

// TestValidateHostileInput: every malformed file is exit 3 with
// file:line:col, quickly, and never a panic.
func TestValidateHostileInput(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("- sale: 12.50 # padding padding padding padding padding padding\n")
	for written := 0; written <= yamldoc.MaxFileSize; written += len(line) {
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	var bomb strings.Builder
	bomb.WriteString("name: bomb\nanchors:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for i := range 9 {
		n := string(rune('b' + i))
		bomb.WriteString("  " + n + ": &" + n + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n")
		prev = n
	}
	bomb.WriteString("steps: *" + prev + "\nexpect: {outcome: APPROVED}\n")
	files := map[string]struct{ body, want string }{
		"syntax.yaml":      {"name: [a\n", ":1:1: YAML syntax"},
		"unknown-key.yaml": {"name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\ncolour: red\n", ":4:1: unknown key \"colour\""},
		"wrong-type.yaml":  {"name: a\ntimeout: [1]\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", ":2:10: want a duration"},
		"fault.yaml":       {"name: a\nfaults: [{no_such_fault: {}}]\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", ":2:11: unknown fault \"no_such_fault\""},
		"card.yaml":        {"name: a\ncard: no-such-card\nsteps: [{insert: chip}]\nexpect: {outcome: APPROVED}\n", ":2:7: "},
		"bomb.yaml":        {bomb.String(), ":4:30: too many aliases"},
	}
	for name, c := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files["big.yaml"] = struct{ body, want string }{"", "big.yaml:1:1: file is"}
	for name, c := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			var out, errOut bytes.Buffer
			start := time.Now()
			code := run([]string{"validate", path}, &out, &errOut)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("validate took %v", took)
			}
			if code != verdict.ExitInvalid {
				t.Fatalf("exit %d, want 3; %s", code, errOut.String())
			}
			if !strings.HasPrefix(errOut.String(), path+":") || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("stderr %q, want %s... containing %q", errOut.String(), path, c.want)
			}
		})
	}
}
