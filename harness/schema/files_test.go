package schema

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// update rewrites the committed schema files and adds missing modelines:
// go test ./harness/schema -run 'Committed|Modeline' -update
var update = flag.Bool("update", false, "rewrite committed schema files and add missing modelines")

// Committed schema files, relative to the repository root: editors find
// them through each shipped file's modeline.
const (
	ScenarioFile = "scenarios/poshil-scenario.schema.json"
	BenchFile    = "fixtures/benches/poshil-bench.schema.json"
)

// shipped lists the repository's scenario and bench files (the library,
// the examples in docs and the benches), each with the committed schema
// that describes it.
func shipped(t *testing.T) map[string]string {
	t.Helper()
	r := root(t)
	files := map[string]string{}
	for _, f := range yamlFiles(t, filepath.Join(r, "scenarios")) {
		files[f] = ScenarioFile
	}
	examples, _ := filepath.Glob(filepath.Join(r, "docs", "examples", "*"))
	for _, ex := range examples {
		for _, f := range yamlFiles(t, filepath.Join(ex, "scenarios")) {
			files[f] = ScenarioFile
		}
		if b := filepath.Join(ex, "bench.yaml"); fileExists(b) {
			files[b] = BenchFile
		}
	}
	for _, f := range yamlFiles(t, filepath.Join(r, "fixtures", "benches")) {
		files[f] = BenchFile
	}
	if len(files) < 10 {
		t.Fatalf("found only %d shipped files", len(files))
	}
	return files
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// modeline is the first line that points yaml-language-server at schema
// (repository-relative) from file.
func modeline(t *testing.T, file, schema string) string {
	t.Helper()
	rel, err := filepath.Rel(filepath.Dir(file), filepath.Join(root(t), schema))
	if err != nil {
		t.Fatal(err)
	}
	return "# yaml-language-server: $schema=" + filepath.ToSlash(rel)
}

// TestCommittedSchemas: the schema files editors load are those the Go
// types generate today (a new fault or step regenerates them with -update).
func TestCommittedSchemas(t *testing.T) {
	for file, s := range map[string]map[string]any{ScenarioFile: Scenario(), BenchFile: Bench()} {
		want, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root(t), file)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (write it: go test ./harness/schema -run Committed -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with the Go types: go test ./harness/schema -run Committed -update", file)
		}
	}
}

// TestModelines: every shipped scenario and bench file names its schema
// on its first line, by a path that exists, so an editor opening it
// completes and checks it without setup.
func TestModelines(t *testing.T) {
	for file, s := range shipped(t) {
		want := modeline(t, file, s)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := bytes.Cut(data, []byte("\n"))
		if string(first) == want {
			continue
		}
		if *update && !strings.HasPrefix(string(first), "# yaml-language-server:") {
			if err := os.WriteFile(file, append([]byte(want+"\n"), data...), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s: first line %q, want %q (add it: go test ./harness/schema -run Modeline -update)", file, first, want)
	}
}

// ajv finds the independent validator (ajv-cli from npm, installed by
// ci/deps.sh); without it the test skips, unless CI is set.
func ajv(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("POSHIL_AJV"), "/usr/local/lib/poshil-npm/node_modules/.bin/ajv"} {
		if p != "" && fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("ajv"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI is set but ajv is not installed (make deps installs it)")
	}
	t.Skip("ajv not installed (make deps installs it)")
	return ""
}

// TestIndependentValidator: ajv, a validator that shares no code with
// poshil, accepts every shipped file against the committed schemas, and
// amounts such as 19.99 (which multipleOf 0.01 rejects in floating point)
// and rejects a wrong file, so a schema only poshil's own validator
// understands cannot ship.
func TestIndependentValidator(t *testing.T) {
	bin := ajv(t)
	bySchema := map[string][]string{}
	for file, s := range shipped(t) {
		bySchema[s] = append(bySchema[s], file)
	}
	bySchema[ScenarioFile] = append(bySchema[ScenarioFile], filepath.Join(root(t), "harness", "schema", "testdata", "amounts.yaml"))
	for s, files := range bySchema {
		out, err := runAjv(t, bin, filepath.Join(root(t), s), files)
		if err != nil {
			t.Errorf("ajv rejects files against %s: %v\n%s", s, err, out)
			continue
		}
		valid := 0
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if strings.HasSuffix(sc.Text(), " valid") {
				valid++
			}
		}
		if valid != len(files) {
			t.Errorf("ajv said valid for %d of %d files against %s:\n%s", valid, len(files), s, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: a\ncard: visa-credit\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVD}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runAjv(t, bin, filepath.Join(root(t), ScenarioFile), []string{bad}); err == nil {
		t.Errorf("ajv accepts an unknown outcome: the test cannot see a rejection\n%s", out)
	}
}

// runAjv validates files against schema (draft 2020-12; union types, which
// JSON Schema allows, are allowed; formats from ajv-formats).
func runAjv(t *testing.T, bin, schema string, files []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	args := []string{"validate", "--spec=draft2020", "--allow-union-types", "--errors=text", "-s", schema}
	if fileExists(filepath.Join(filepath.Dir(bin), "..", "ajv-formats")) {
		args = append(args, "-c", "ajv-formats")
	}
	for _, f := range files {
		args = append(args, "-d", f)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Dir(filepath.Dir(filepath.Dir(bin))) // resolves -c from its node_modules
	return cmd.CombinedOutput()
}
