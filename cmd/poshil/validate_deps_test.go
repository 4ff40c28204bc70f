package main

import (
	"go/parser"
	"go/token"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestValidateLinksNoPCSC: what validate.go imports links neither PC/SC
// nor the runner, so validating can never touch a reader. (The poshil
// binary as a whole links them for `run`.)
func TestValidateLinksNoPCSC(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "validate.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		pkgs = append(pkgs, p)
	}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list -deps %v: %v", pkgs, err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < len(pkgs) {
		t.Fatalf("go list -deps gave %q", deps)
	}
	for _, d := range deps {
		switch d {
		case "github.com/ebfe/scard", "github.com/poshil/poshil/drivers/pcsc", "github.com/poshil/poshil/harness/runner":
			t.Errorf("validate.go links %s", d)
		}
	}
}
