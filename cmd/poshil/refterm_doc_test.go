package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/terminal"
	"github.com/poshil/poshil/harness/outcome"
)

// TestRefTermDoc: docs/refterm.md lists exactly the reference terminal's
// display texts, every ECR message kind it names, every outcome code it
// reports by name and every line of its receipts, all read from the
// terminal's source (fixtures/terminal, drivers/ecr, harness/outcome), so
// the page cannot drift from the code in either direction.
func TestRefTermDoc(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "docs", "refterm.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	files := parseDir(t, filepath.Join(root, "fixtures", "terminal"))

	// Display texts: the terminal's text* constants.
	var texts []string
	for _, f := range files {
		for name, v := range stringConsts(f, "") {
			if strings.HasPrefix(name, "text") {
				texts = append(texts, v)
			}
		}
	}
	sameSet(t, "display texts", texts, firstColumn(section(t, doc, "Display texts")))

	// ECR kinds: every ecr.Kind constant the terminal names.
	kinds := map[string]string{}
	for _, f := range parseDir(t, filepath.Join(root, "drivers", "ecr")) {
		for name, v := range stringConsts(f, "Kind") {
			kinds[name] = v
		}
	}
	var used []string
	for _, name := range selectors(files, "ecr") {
		if v, ok := kinds[name]; ok {
			used = append(used, v)
		}
	}
	sameSet(t, "ECR message kinds", used, firstColumn(section(t, doc, "ECR messages")))
	if !strings.Contains(doc, "version="+terminal.Version) {
		t.Errorf("docs/refterm.md: READY's version=%s missing", terminal.Version)
	}

	// Outcome codes: every code the terminal names is listed; every code
	// listed is a canonical one.
	codes := map[string]outcome.Code{}
	for _, f := range parseDir(t, filepath.Join(root, "harness", "outcome")) {
		for name, v := range stringConsts(f, "Code") {
			codes[name] = outcome.Code(v)
		}
	}
	listed := backticked(section(t, doc, "Outcome codes"), `^[A-Z][A-Z0-9_]+$`)
	for _, name := range selectors(files, "outcome") {
		if c, ok := codes[name]; ok && !slices.Contains(listed, string(c)) {
			t.Errorf("docs/refterm.md, Outcome codes: the terminal reports %s (outcome.%s), not listed", c, name)
		}
	}
	for _, c := range listed {
		if !slices.Contains(outcome.All, outcome.Code(c)) {
			t.Errorf("docs/refterm.md, Outcome codes: %s is no canonical outcome", c)
		}
	}

	// Receipt lines: the words each literal of receiptLines and reprint
	// starts with (log calls aside).
	var lines []string
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || (fd.Name.Name != "receiptLines" && fd.Name.Name != "reprint") {
				continue
			}
			lines = append(lines, receiptWords(fd)...)
		}
	}
	if len(lines) == 0 {
		t.Fatal("no receipt lines found in fixtures/terminal (receiptLines, reprint)")
	}
	var documented []string
	for _, c := range firstColumn(section(t, doc, "Receipts")) {
		documented = append(documented, c)
	}
	sameSet(t, "receipt lines", lines, documented)
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return files
}

// stringConsts returns f's string constants (of the named type when typ
// is set): name to value.
func stringConsts(f *ast.File, typ string) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if typ != "" {
				id, ok := vs.Type.(*ast.Ident)
				if !ok || id.Name != typ {
					continue
				}
			}
			for i, n := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						out[n.Name] = v
					}
				}
			}
		}
	}
	return out
}

// selectors returns the names selected from package pkg (pkg.Name) in files.
func selectors(files []*ast.File, pkg string) []string {
	var out []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if se, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := se.X.(*ast.Ident); ok && id.Name == pkg && !slices.Contains(out, se.Sel.Name) {
					out = append(out, se.Sel.Name)
				}
			}
			return true
		})
	}
	return out
}

// receiptWords returns the leading capitals of fd's string literals
// ("AMOUNT %d.%02d %s" is AMOUNT), outside log calls.
func receiptWords(fd *ast.FuncDecl) []string {
	lead := regexp.MustCompile(`^[A-Z*][A-Z* ]*[A-Z*]`)
	var out []string
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if se, ok := call.Fun.(*ast.SelectorExpr); ok {
				if x, ok := se.X.(*ast.SelectorExpr); ok && x.Sel.Name == "log" {
					return false
				}
			}
		}
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if v, err := strconv.Unquote(lit.Value); err == nil {
				if w := lead.FindString(v); w != "" && !slices.Contains(out, w) {
					out = append(out, w)
				}
			}
		}
		return true
	})
	return out
}

// section returns the text under the heading "## name" of doc.
func section(t *testing.T, doc, name string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n## "+name+"\n")
	if !ok {
		t.Fatalf("docs/refterm.md has no section %q", name)
	}
	body, _, _ := strings.Cut(rest, "\n## ")
	return body
}

// firstColumn returns the backticked first cells of the Markdown table
// rows in s.
func firstColumn(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(l, "| `"); ok {
			if cell, _, ok := strings.Cut(rest, "`"); ok {
				out = append(out, cell)
			}
		}
	}
	return out
}

// backticked returns the `...` spans of s that match pattern.
func backticked(s, pattern string) []string {
	re := regexp.MustCompile(pattern)
	var out []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(s, -1) {
		if re.MatchString(m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// sameSet reports what only the code or only docs/refterm.md holds.
func sameSet(t *testing.T, what string, code, doc []string) {
	t.Helper()
	if len(code) == 0 {
		t.Errorf("%s: none found in the code", what)
	}
	for _, c := range code {
		if !slices.Contains(doc, c) {
			t.Errorf("docs/refterm.md, %s: %q is in the code, not in the page", what, c)
		}
	}
	for _, d := range doc {
		if !slices.Contains(code, d) {
			t.Errorf("docs/refterm.md, %s: %q is in the page, not in the code", what, d)
		}
	}
}
