package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeDeps: README's list of what `make deps` installs is the list
// in ci/deps.sh, Debian packages (need+=(NAME)) and npm packages
// (NAME@VERSION) alike, both ways.
func TestReadmeDeps(t *testing.T) {
	root := filepath.Join("..", "..")
	script, err := os.ReadFile(filepath.Join(root, "ci", "deps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range regexp.MustCompile(`need\+=\(([a-z0-9][a-z0-9.+-]*)\)`).FindAllStringSubmatch(string(script), -1) {
		if !slices.Contains(want, m[1]) {
			want = append(want, m[1])
		}
	}
	// the npm tools, pinned in one array
	if m := regexp.MustCompile(`(?m)^npm_tools=\(([^)]*)\)`).FindStringSubmatch(string(script)); m != nil {
		for _, f := range strings.Fields(m[1]) {
			if !slices.Contains(want, f) {
				want = append(want, f)
			}
		}
	} else {
		t.Error("ci/deps.sh: no npm_tools=(...) array")
	}
	if len(want) < 2 {
		t.Fatalf("ci/deps.sh: found only %v", want)
	}

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, para, ok := strings.Cut(string(readme), "Both start with `make deps`")
	if !ok {
		t.Fatal("README.md: no paragraph starting \"Both start with `make deps`\"")
	}
	para, _, _ = strings.Cut(para, "\n\n")
	name := regexp.MustCompile(`^(@[a-z0-9-]+/)?[a-z0-9][a-z0-9.+-]*(@[0-9][0-9.]*)?$`)
	var listed []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(para, -1) {
		if name.MatchString(m[1]) {
			listed = append(listed, m[1])
		}
	}
	for _, w := range want {
		if !slices.Contains(listed, w) {
			t.Errorf("README.md, make deps: ci/deps.sh installs %s, the README does not say so", w)
		}
	}
	for _, l := range listed {
		if !slices.Contains(want, l) {
			t.Errorf("README.md, make deps: lists %s, ci/deps.sh does not install it", l)
		}
	}
}
