package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/verdict"
)

func write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	_, emulated := benches.Emulated()
	tests := []struct {
		name, file, body string
		code             int
		want             string
	}{
		{"unknown key", "s.yaml", "name: a\ncard: visa-credit\nsteps:\n  - sale: 1\n    colour: red\nexpect: {outcome: APPROVED}\n", verdict.ExitInvalid, "s.yaml:5:5: unknown key \"colour\""},
		{"unknown card", "s.yaml", "name: a\ncard: no-such-card\nsteps: [{insert: chip}]\nexpect: {outcome: APPROVED}\n", verdict.ExitInvalid, "s.yaml:2:7: "},
		{"bad yaml", "s.yaml", "name: [a\n", verdict.ExitInvalid, "s.yaml:"},
		{"good scenario", "s.yaml", "name: a\ncard: visa-credit\nsteps: [{sale: 1}, {insert: chip}]\nexpect: {outcome: APPROVED}\n", 0, "ok"},
		{"good bench", "b.yaml", string(emulated), 0, "ok"},
		{"bad bench", "b.yaml", strings.Replace(string(emulated), "boot_timeout: 10s", "boot_timeout: 10s\n  colour: red", 1), verdict.ExitInvalid, "b.yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, tt.file, tt.body)
			var out, errOut bytes.Buffer
			code := run([]string{"validate", p}, &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut.String())
			}
			got := out.String() + errOut.String()
			if !strings.Contains(got, tt.want) {
				t.Errorf("output\n%s\nwant it to contain %q", got, tt.want)
			}
			if tt.code != 0 && !strings.HasPrefix(errOut.String(), p+":") {
				t.Errorf("first line must start with the file name: %q", errOut.String())
			}
		})
	}
}

func TestRunUnknownKeyIsInvalid(t *testing.T) {
	p := write(t, "s.yaml", "name: a\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\nbogus: 1\n")
	var out, errOut bytes.Buffer
	code := run([]string{"run", "--out", t.TempDir(), p}, &out, &errOut)
	if code != verdict.ExitInvalid {
		t.Fatalf("exit %d, want 3; stderr %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), p+":4:1: unknown key \"bogus\"") {
		t.Errorf("stderr %q", errOut.String())
	}
}
