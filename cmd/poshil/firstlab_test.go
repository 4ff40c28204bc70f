package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFirstLab: docs/first-lab.md's files and commands work as written.
// Each YAML file the page names (`NAME.yaml`: before its block) is written
// to an empty folder; each `poshil validate` line of its shell blocks runs
// there and must pass; every other poshil line (in shell blocks and in
// the CI examples) must name a real command with flags it accepts.
func TestFirstLab(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "first-lab.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	dir := t.TempDir()
	t.Chdir(dir)

	files := regexp.MustCompile("(?m)^`([a-z0-9-]+\\.yaml)`:\n\n```yaml\n((?s:.*?))```").FindAllStringSubmatch(doc, -1)
	if len(files) < 2 {
		t.Fatalf("docs/first-lab.md: %d files, want the scenario and the bench", len(files))
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f[1]), []byte(f[2]), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var lines []string
	for _, b := range regexp.MustCompile("(?s)```(sh|yaml)\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		for _, l := range strings.Split(b[2], "\n") {
			l = strings.TrimSpace(l)
			l = strings.TrimPrefix(l, "- ")
			l = strings.TrimPrefix(l, "run: ")
			if strings.HasPrefix(l, "poshil ") {
				lines = append(lines, l)
			}
		}
	}
	validated := 0
	for _, l := range lines {
		args := shellWords(t, l)[1:]
		if args[0] == "validate" {
			var out, errOut bytes.Buffer
			if code := execute(context.Background(), args, &out, &errOut); code != 0 {
				t.Errorf("docs/first-lab.md: %s: exit %d\n%s%s", l, code, out.String(), errOut.String())
			}
			validated++
			continue
		}
		root := newRoot(&app{ctx: context.Background(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
		cmd, rest, err := root.Find(args)
		if err != nil || cmd == root && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			t.Errorf("docs/first-lab.md: %s: no such command (%v)", l, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("docs/first-lab.md: %s: %v", l, err)
		}
	}
	if validated < 2 {
		t.Errorf("docs/first-lab.md: %d poshil validate lines ran, want the scenario's and the bench's", validated)
	}
}

// shellWords splits a command line as sh would for plain words, quotes
// and a trailing comment (no expansion: "$X" stays as written).
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '#' && !in:
			i = len(line)
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote: %s", line)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
