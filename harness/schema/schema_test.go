package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/scenario"
)

// compile checks s against the draft 2020-12 meta-schema and compiles it.
func compile(t *testing.T, name string, s map[string]any) *jsonschema.Schema {
	t.Helper()
	b, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s does not compile: %v", name, err)
	}
	return sch
}

// instance turns a YAML document into what a JSON Schema validator sees
// (what yaml-language-server sees).
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// root is the repository root (the test runs in harness/schema).
func root(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// everything uses every step, a fault with each trigger kind and every
// expectation; the loader must accept it, or the test is wrong.
const everything = `# yaml-language-server: $schema=scenario.schema.json
name: everything at once
description: every step and expectation
labels: [chip, pin, slow]
card: visa-credit
timeout: 45s
mutants: [{name: skip-reversal, reason: "expected outcome HOST_TIMEOUT"}]
faults:
  - host_late: {delay: 3s}
    when: {mti: "0200"}
    for: 10s
  - status_word: {command: VERIFY, sw: "6983"}
    when: {apdu: {command: VERIFY, nth: 2}}
  - line_cut:
    when: {ecr: DISPLAY, text: ENTER PIN}
    id: cut
  - sag: {to: 3.9V}
    when: {after: 500ms}
steps:
  - sale: 12.50
  - sale: {amount: 3, currency: 978}
  - display: INSERT CARD
  - display: {text: ENTER PIN, within: 2s}
  - insert: chip
  - pin: wrong
  - expect: {outcome: INCORRECT_PIN, tries_left: 2, within: 1s}
  - key: cancel
  - inject: {host_no_response: null, id: quiet, when: {bytes: 100}}
  - clear: quiet
  - wait: 200ms
  - remove: true
  - swipe: true
  - last: {outcome: APPROVED}
expect:
  outcome: HOST_TIMEOUT
  within: 30s
  never: [APPROVED]
  host: {requests: 1, reversals: 1}
  fields: {entry: chip}
  settle: 750ms
`

func TestScenarioSchemaAcceptsTheLibrary(t *testing.T) {
	sch := compile(t, "scenario.json", Scenario())
	if _, err := scenario.Parse("everything.yaml", []byte(everything)); err != nil {
		t.Fatalf("the loader rejects the test scenario (update it with the scenario model): %v", err)
	}
	if err := sch.Validate(instance(t, []byte(everything))); err != nil {
		t.Errorf("everything.yaml: %v", err)
	}
	files := yamlFiles(t, filepath.Join(root(t), "scenarios"))
	if len(files) == 0 {
		t.Fatal("no scenario files found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := scenario.Parse(f, data); err != nil {
			continue // the loader rejects it: the schema may too
		}
		if err := sch.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: loader accepts it, schema rejects it: %v", f, err)
		}
	}
}

func TestScenarioSchemaRejects(t *testing.T) {
	sch := compile(t, "scenario.json", Scenario())
	base := "name: a\ncard: visa-credit\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n"
	tests := map[string]string{
		"unknown key":         base + "colour: red\n",
		"unknown outcome":     strings.Replace(base, "APPROVED", "APPROVD", 1),
		"two actions":         strings.Replace(base, "{sale: 1}", "{sale: 1, key: enter}", 1),
		"unknown step":        strings.Replace(base, "{sale: 1}", "{shout: now}", 1),
		"empty step":          strings.Replace(base, "{sale: 1}", "{}", 1),
		"bad pin":             strings.Replace(base, "{sale: 1}", "{pin: \"1234\"}", 1),
		"amount not above 0":  strings.Replace(base, "{sale: 1}", "{sale: 0}", 1),
		"bad amount string":   strings.Replace(base, "{sale: 1}", "{sale: \"1.234\"}", 1),
		"negative amount":     strings.Replace(base, "{sale: 1}", "{sale: -5}", 1),
		"bad duration":        base + "timeout: soon\n",
		"number duration":     base + "timeout: 5\n",
		"label with space":    base + "labels: [\"a b\"]\n",
		"unknown fault":       base + "faults: [{no_such_fault: {}}]\n",
		"two faults":          base + "faults: [{host_close: null, line_cut: null}]\n",
		"no fault":            base + "faults: [{when: {after: 1s}}]\n",
		"fault setting":       base + "faults: [{host_late: {dealy: 1s}}]\n",
		"bad trigger":         base + "faults: [{host_close: null, when: {at: 1s}}]\n",
		"bad mti":             base + "faults: [{host_close: null, when: {mti: \"20\"}}]\n",
		"bad apdu command":    base + "faults: [{host_close: null, when: {apdu: {command: DANCE}}}]\n",
		"sale without money":  strings.Replace(base, "{sale: 1}", "{sale: {currency: 978}}", 1),
		"bad settle":          strings.Replace(base, "APPROVED}", "APPROVED, settle: soon}", 1),
		"negative settle":     strings.Replace(base, "APPROVED}", "APPROVED, settle: -1s}", 1),
		"mutant name only":    base + "mutants: [no-reversal]\n",
		"mutant no reason":    base + "mutants: [{name: no-reversal}]\n",
		"mutant empty reason": base + "mutants: [{name: no-reversal, reason: \"\"}]\n",
		"mutant extra key":    base + "mutants: [{name: no-reversal, reason: x, why: y}]\n",
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if err := sch.Validate(instance(t, []byte(doc))); err == nil {
				t.Errorf("schema accepts:\n%s", doc)
			}
		})
	}
}

func TestBenchSchema(t *testing.T) {
	sch := compile(t, "bench.json", Bench())
	files := yamlFiles(t, filepath.Join(root(t), "fixtures", "benches"))
	if len(files) == 0 {
		t.Fatal("no bench files")
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if _, err := bench.Load(f); err != nil {
			continue
		}
		if err := sch.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	bad := "name: b\ncard: {reader: x}\necr: {port: emulated, speed: 9600}\nhost: {address: \"h:1\"}\n"
	if err := sch.Validate(instance(t, []byte(bad))); err == nil {
		t.Error("bench schema accepts an unknown key")
	}
}

// TestEveryFaultDescribed: each registered fault is a property of a fault
// entry, with its own settings (not "anything"), so a new fault shows up
// in editors without touching this package.
func TestEveryFaultDescribed(t *testing.T) {
	s := Scenario()
	defs := s["$defs"].(map[string]any)
	spec := defs["fault.Spec"].(map[string]any)
	props := spec["properties"].(map[string]any)
	for _, name := range fault.Names() {
		p, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("fault %s missing", name)
			continue
		}
		ref := p["anyOf"].([]any)[0].(map[string]any)["$ref"]
		if ref == nil {
			t.Errorf("fault %s: %v", name, p)
			continue
		}
		def := defs[strings.TrimPrefix(ref.(string), "#/$defs/")].(map[string]any)
		if _, ok := def["properties"]; !ok {
			t.Errorf("fault %s has no settings schema: %v", name, def)
		}
	}
}

type selfDescribed struct{}

func (selfDescribed) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "const": "me"}
}

type custom struct{}

func (*custom) UnmarshalYAML(*yaml.Node) error { return nil }

type node struct {
	Name     string         `yaml:"name"`
	Kids     []node         `yaml:"kids"`
	Self     selfDescribed  `yaml:"self"`
	Custom   custom         `yaml:"custom"`
	Untagged int            // key "untagged"
	Skipped  string         `yaml:"-"`
	Extra    map[string]any `yaml:"extra"`
	Inner    inner          `yaml:",inline"`
}

type inner struct {
	Deep uint `yaml:"deep"`
}

func TestReflection(t *testing.T) {
	g := NewGenerator()
	doc := g.Document(reflect.TypeFor[node](), "node")
	props := doc["properties"].(map[string]any)
	var keys []string
	for k := range props {
		keys = append(keys, k)
	}
	for _, want := range []string{"name", "kids", "self", "custom", "untagged", "extra", "deep"} {
		if props[want] == nil {
			t.Errorf("no property %q in %v", want, keys)
		}
	}
	if props["skipped"] != nil || props["Skipped"] != nil {
		t.Error("yaml:\"-\" field described")
	}
	if props["self"].(map[string]any)["const"] != "me" {
		t.Error("JSONSchemaer not used")
	}
	if _, ok := props["custom"].(map[string]any)["$comment"]; !ok {
		t.Error("a self-decoding type without schema must accept anything")
	}
	sch := compile(t, "node.json", doc)
	good := "name: a\nkids: [{name: b, kids: [{name: c}]}]\nself: me\ncustom: [1, {x: 2}]\nuntagged: 3\ndeep: 4\n"
	if err := sch.Validate(instance(t, []byte(good))); err != nil {
		t.Errorf("recursive document rejected: %v", err)
	}
	if err := sch.Validate(instance(t, []byte("kids: [{nme: b}]\n"))); err == nil {
		t.Error("unknown key deep in a recursive type accepted")
	}
}

// TestDocsExamples keeps docs/scenarios.md honest: every complete scenario
// in it (a yaml block with name and steps) loads and fits the schema.
func TestDocsExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root(t), "docs", "scenarios.md"))
	if err != nil {
		t.Fatal(err)
	}
	sch := compile(t, "scenario.json", Scenario())
	n := 0
	for _, block := range strings.Split(string(data), "```yaml\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if !strings.Contains(block, "\nsteps:") || !strings.Contains(block, "name:") {
			continue
		}
		n++
		if _, err := scenario.Parse("docs.yaml", []byte(block)); err != nil {
			t.Errorf("example %d does not load: %v\n%s", n, err, block)
		}
		if err := sch.Validate(instance(t, []byte(block))); err != nil {
			t.Errorf("example %d does not fit the schema: %v", n, err)
		}
	}
	if n < 2 {
		t.Errorf("found %d complete examples in the docs", n)
	}
}
