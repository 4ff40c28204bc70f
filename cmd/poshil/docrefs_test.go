package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocReferences: the documents name only files the project has. In
// README.md and docs/*.md every relative link resolves and every path into
// the repository's folders (scenarios/, fixtures/, ci/, cmd/, harness/,
// drivers/, docs/) exists, globs aside; anywhere in the sources (Go, shell,
// YAML, Markdown) every docs/<name>.md named exists.
func TestDocReferences(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	docRef := regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])(docs/[A-Za-z0-9_.-]+\.md)`)
	link := regexp.MustCompile(`\]\(([^)#\s]+)`)
	path := regexp.MustCompile(`(?:^|[^A-Za-z0-9_./{}-])((?:scenarios|fixtures|ci|cmd|harness|drivers|docs)/[A-Za-z0-9_./-]*[A-Za-z0-9_])`)
	checked := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || rel == "bin" || rel == "out" || rel == "dist" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".sh", ".yaml", ".md":
		default:
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		text := string(data)
		checked++
		for _, m := range docRef.FindAllStringSubmatch(text, -1) {
			if !exists(filepath.Join(root, m[1])) {
				t.Errorf("%s names %s, which the project does not have", rel, m[1])
			}
		}
		if filepath.Ext(p) != ".md" || (rel != "README.md" && filepath.Dir(rel) != "docs") {
			return nil
		}
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			if strings.Contains(m[1], "://") || strings.HasPrefix(m[1], "mailto:") {
				continue
			}
			if !exists(filepath.Join(filepath.Dir(p), m[1])) {
				t.Errorf("%s links %s, which the project does not have", rel, m[1])
			}
		}
		for _, m := range path.FindAllStringSubmatchIndex(text, -1) {
			ref := text[m[2]:m[3]]
			if rest := strings.TrimLeft(text[m[3]:], "-."); rest != "" && strings.ContainsRune("*{", rune(rest[0])) {
				continue // a glob or a template
			}
			if !exists(filepath.Join(root, ref)) {
				t.Errorf("%s names %s, which the project does not have", rel, ref)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked only %d files", checked)
	}
}
