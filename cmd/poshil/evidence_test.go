package main

import (
	"bytes"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/cards"
)

// TestRunLeavesNoCardSecrets runs part of the library on the emulated bench
// with --verbose and searches everything it wrote (JUnit, record, HTML,
// pcapng, the live output) for any shipped card's full PAN, in ASCII or
// packed BCD, and for its PIN as typed or as a PIN block.
func TestRunLeavesNoCardSecrets(t *testing.T) {
	root := buildRefterm(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--verbose", "--out", out, "--label-filter", "smoke || magstripe || pin || power",
		filepath.Join(root, "scenarios")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("run exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if err := os.WriteFile(filepath.Join(out, "stdout.txt"), stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var needles []struct{ what, b string }
	for _, name := range cards.Names() {
		p, err := cards.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		pin := string(p.PIN)
		needles = append(needles,
			struct{ what, b string }{name + " PAN", p.PAN},
			struct{ what, b string }{name + " PAN (BCD)", string(mustHex(t, p.PAN))},
			struct{ what, b string }{name + " PIN keys", "keys=" + pin},
			struct{ what, b string }{name + " PIN block", string(mustHex(t, "2"+string(rune('0'+len(pin)))+pin))},
		)
	}
	files := 0
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range needles {
			if bytes.Contains(data, []byte(n.b)) {
				t.Errorf("%s: contains %s", path, n.what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"junit.xml", "record.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("no %s: %v", want, err)
		}
	}
	// The PIN is typed on the bench's PIN pad (the transcript counts its
	// digits), or sent as an ECR KEY message (masked).
	typed := strings.Contains(stdout.String(), "KEY keys=****E") || strings.Contains(stdout.String(), "PIN entered (correct, 4 digits)")
	if files < 5 || !typed {
		t.Errorf("the run left too little to search (%d files) or no live transcript:\n%s", files, stdout.String())
	}
}

// mustHex packs digits as BCD, padding an odd count with F.
func mustHex(t *testing.T, digits string) []byte {
	t.Helper()
	if len(digits)%2 == 1 {
		digits += "F"
	}
	b, err := hex.DecodeString(digits)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
