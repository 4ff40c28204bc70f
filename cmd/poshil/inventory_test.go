package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/verdict"
)

const receipt = `name: receipt printed
card: visa-credit
needs:
  has: [printer]
steps:
  - sale: 1.00
  - insert: chip
expect: {outcome: APPROVED}
`

const oneEmulated = "benches:\n  - name: emu-1\n    labels: [emulated]\n"

// TestListInventory: list --inventory says where each scenario goes and
// names the one no bench can run, at the place that asks for it.
func TestListInventory(t *testing.T) {
	inv := write(t, "inv.yaml", oneEmulated)
	rec := write(t, "receipt.yaml", receipt)
	var out, errOut bytes.Buffer
	code := run([]string{"list", "--inventory", inv, rec, "../../scenarios/chip/approved-sale.yaml"}, &out, &errOut)
	if code != verdict.ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", code, verdict.ExitInvalid, out.String(), errOut.String())
	}
	for _, want := range []string{
		"emu-1 (emulated; has [chip dut_config line_relay magstripe power voltage]",
		"approved-sale.yaml",
		"cannot run: " + rec + ":4:9: no bench can run \"receipt printed\": needs.has needs printer, which no bench of " + inv + " has",
		"1 scenario(s) on 1 bench(es)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunInventory runs on an inventory of one emulated bench: the
// scenario it cannot run is reported before the bench comes up and is
// INVALID in the record; the other runs and passes on it.
func TestRunInventory(t *testing.T) {
	needBench(t)
	buildRefterm(t)
	inv := write(t, "inv.yaml", oneEmulated)
	rec := write(t, "receipt.yaml", receipt)
	dir := t.TempDir()
	var both bytes.Buffer
	code := run([]string{"run", "--inventory", inv, "--out", dir, rec, "../../scenarios/chip/approved-sale.yaml"}, &both, &both)
	out := both.String()
	if code != verdict.ExitInvalid {
		t.Fatalf("exit %d, want %d (one scenario cannot run)\n%s", code, verdict.ExitInvalid, out)
	}
	cannot, up := strings.Index(out, "poshil: cannot run: "+rec+":4:9:"), strings.Index(out, "poshil: bench emu-1 (emulated), 1 scenario(s)")
	if cannot < 0 || up < 0 || cannot > up {
		t.Fatalf("want the unrunnable scenario reported before bench emu-1 comes up:\n%s", out)
	}
	r := readRecord(t, dir)
	got := map[string]verdict.Class{}
	for _, res := range r.Results {
		got[filepath.Base(res.File)] = res.Class
	}
	if got["receipt.yaml"] != verdict.Invalid || got["approved-sale.yaml"] != verdict.Pass || len(got) != 2 {
		t.Errorf("record verdicts %v, want receipt INVALID and approved-sale PASS\n%s", got, out)
	}
	if !strings.Contains(r.Run.Bench, inv) {
		t.Errorf("record bench %q does not name the inventory", r.Run.Bench)
	}
}

// TestValidateInventory: validate checks an inventory and its bench files.
func TestValidateInventory(t *testing.T) {
	good := write(t, "inv.yaml", oneEmulated)
	bad := write(t, "bad.yaml", "benches:\n  - name: a\n    has: [chip, fax]\n")
	var out, errOut bytes.Buffer
	if code := run([]string{"validate", good}, &out, &errOut); code != 0 {
		t.Errorf("good inventory: exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"validate", bad}, &out, &errOut); code != verdict.ExitInvalid || !strings.Contains(errOut.String(), bad+`:3:17: has "fax": not a capability`) {
		t.Errorf("bad inventory: exit %d: %s", code, errOut.String())
	}
}

// TestUnhealthyBenchOutOfRotation: a bench whose reader pcscd does not
// list is taken out of rotation before anything runs, with its reason,
// and its share goes to the healthy bench, where it passes; with no
// healthy bench left, the scenarios are BENCH_ERROR (the rig's trouble),
// never INVALID and never run on the bad bench.
func TestUnhealthyBenchOutOfRotation(t *testing.T) {
	needBench(t)
	buildRefterm(t)
	_, emulated := benches.Emulated()
	dir := filepath.Dir(write(t, "gone.yaml", strings.Replace(string(emulated), "reader: Virtual PCD 00 00", "reader: ACME Reader 9", 1)))
	a := write(t, "approved.yaml", approved)
	a2 := write(t, "approved2.yaml", strings.Replace(approved, "name: approved", "name: approved again", 1))
	for _, tc := range []struct {
		inv  string
		code int
		want verdict.Class
	}{
		{"benches:\n  - name: gone\n    bench: gone.yaml\n  - name: emu\n", 0, verdict.Pass},
		{"benches:\n  - name: gone\n    bench: gone.yaml\n", verdict.ExitBenchError, verdict.BenchError},
	} {
		inv := filepath.Join(dir, "inv.yaml")
		if err := os.WriteFile(inv, []byte(tc.inv), 0o644); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		var both bytes.Buffer
		if code := run([]string{"run", "--inventory", inv, "--out", out, a, a2}, &both, &both); code != tc.code {
			t.Fatalf("%s: exit %d, want %d\n%s", tc.inv, code, tc.code, both.String())
		}
		if want := `poshil: bench gone out of rotation: reader "ACME Reader 9" not found`; !strings.Contains(both.String(), want) {
			t.Errorf("%s: output lacks %q:\n%s", tc.inv, want, both.String())
		}
		rec := readRecord(t, out)
		if len(rec.Results) != 2 {
			t.Fatalf("%s: %d results, want 2", tc.inv, len(rec.Results))
		}
		for _, r := range rec.Results {
			if r.Class != tc.want || tc.want == verdict.BenchError && !strings.Contains(r.Reason, "out of rotation") {
				t.Errorf("%s: %s: %s %s, want %s", tc.inv, r.Scenario, r.Class, r.Reason, tc.want)
			}
		}
	}
}
