package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSchemaWrite: poshil schema --write DIR writes both schemas, the
// same bytes as the committed ones, where a modeline can name them.
func TestSchemaWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	var out, errb bytes.Buffer
	if code := run([]string{"schema", "--write", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for name, committed := range map[string]string{scenarioSchemaFile: "../../scenarios/" + scenarioSchemaFile, benchSchemaFile: "../../fixtures/benches/" + benchSchemaFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(committed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", name, committed)
		}
	}
	if !bytes.Contains(out.Bytes(), []byte("$schema="+scenarioSchemaFile)) {
		t.Errorf("no modeline printed: %s", out.String())
	}
	if code := run([]string{"schema", "--write", dir, "scenario"}, &out, &errb); code != 3 {
		t.Errorf("--write with a kind: exit %d, want 3", code)
	}
}
