package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/poshil/poshil/harness/bench"
)

// TestLaunchMergesScenarioConfig: the scenario's dut.config is laid over
// the bench's process config key by key (one timeout changed, the others
// and the rest of the config kept, placeholders still expanded), and the
// bench's own config is left as it was for the next scenario.
func TestLaunchMergesScenarioConfig(t *testing.T) {
	dir := t.TempDir()
	p := &bench.Process{
		Command: []string{"true"},
		Config: map[string]any{
			"reader":   "{reader}",
			"timeouts": map[string]any{"host": "2s", "apdu": "2s"},
			"aids":     []any{"A0000000031010"},
		},
	}
	vars := map[string]string{"{config}": filepath.Join(dir, "dut-config.json"), "{reader}": "Virtual PCD 00 00", "{workdir}": dir}
	l := processLauncher{p: p, lookup: bench.LookupProgram}
	proc, err := l.Launch(Launch{Vars: vars, Config: map[string]any{
		"timeouts": map[string]any{"host": "1s"},
		"aids":     []any{"A0000000041010"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-proc.Done()
	data, err := os.ReadFile(vars["{config}"])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"reader":   "Virtual PCD 00 00",
		"timeouts": map[string]any{"host": "1s", "apdu": "2s"},
		"aids":     []any{"A0000000041010"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config file:\n got %v\nwant %v", got, want)
	}
	if h := p.Config["timeouts"].(map[string]any)["host"]; h != "2s" {
		t.Errorf("the bench's own config changed: timeouts.host %v", h)
	}
}
