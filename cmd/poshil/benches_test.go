package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/benches"
)

func benchesJSON(t *testing.T, inv string) benchState {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run([]string{"benches", "--inventory", inv, "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("benches: exit %d: %s", code, errOut.String())
	}
	var got []benchState
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != 1 {
		t.Fatalf("benches --json: %v\n%s", err, out.String())
	}
	return got[0]
}

// TestBenchesBusyDirtyFree: `poshil benches` shows the bench busy by the
// run that holds it; after that run is killed with SIGKILL, dirty (left
// by it); the next run says it restored the bench's safe state first and
// passes; then the bench is free.
func TestBenchesBusyDirtyFree(t *testing.T) {
	needBench(t)
	bin := buildPoshil(t)
	inv := write(t, "inv.yaml", oneEmulated)
	if s := benchesJSON(t, inv); s.State != "free" {
		t.Fatalf("before any run: %+v", s)
	}
	h := write(t, "held.yaml", held)
	victim := startPoshil(t, bin, "run", "--verbose", "--out", t.TempDir(), h)
	victim.waitLine(t, "DISPLAY text=ENTER PIN", 60*time.Second)
	s := benchesJSON(t, inv)
	if s.State != "busy" || s.Holder == nil || s.Holder.PID != victim.cmd.Process.Pid || s.Holder.RunID == "" || s.Holder.Host == "" {
		t.Fatalf("while a run holds it: %+v %+v, want busy by pid %d", s, s.Holder, victim.cmd.Process.Pid)
	}
	var table bytes.Buffer
	run([]string{"benches", "--inventory", inv}, &table, &table)
	if want := fmt.Sprintf("busy   %s", s.Holder.Since.Format(time.RFC3339)); !strings.Contains(table.String(), want) || !strings.Contains(table.String(), fmt.Sprintf("pid %d", s.Holder.PID)) {
		t.Errorf("table lacks %q and the pid:\n%s", want, table.String())
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.wait(t, 10*time.Second)
	s = benchesJSON(t, inv)
	if s.State != "dirty" || s.Holder == nil || s.Holder.PID != victim.cmd.Process.Pid {
		t.Fatalf("after kill -9: %+v, want dirty, left by pid %d", s, victim.cmd.Process.Pid)
	}
	a := write(t, "approved.yaml", approved)
	next := startPoshil(t, bin, "run", "--out", t.TempDir(), a)
	if code := next.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("next run: exit %d\n%s%s", code, next.output(), next.stderr.String())
	}
	want := fmt.Sprintf("bench emulated was left dirty by run %s (pid %d", s.Holder.RunID, victim.cmd.Process.Pid)
	if !strings.Contains(next.stderr.String(), want) || !strings.Contains(next.stderr.String(), "restored its safe state first: supply on at nominal") {
		t.Errorf("the next run does not say it restored the bench (%q):\n%s", want, next.stderr.String())
	}
	if s := benchesJSON(t, inv); s.State != "free" {
		t.Errorf("after the next run: %+v, want free", s)
	}
}

// TestBenchesUnhealthy: a bench whose reader pcscd does not list is
// unhealthy, with that reason; the emulated one beside it is free.
func TestBenchesUnhealthy(t *testing.T) {
	needBench(t)
	_, emulated := benches.Emulated()
	dir := filepath.Dir(write(t, "x", ""))
	if err := os.WriteFile(filepath.Join(dir, "gone.yaml"), []byte(strings.Replace(string(emulated), "reader: Virtual PCD 00 00", "reader: ACME Reader 9", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "inv.yaml")
	if err := os.WriteFile(inv, []byte("benches:\n  - name: gone\n    bench: gone.yaml\n  - name: emu\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"benches", "--inventory", inv, "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got []benchState
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != 2 {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got[0].State != "unhealthy" || !strings.Contains(got[0].Reason, `reader "ACME Reader 9" not found`) {
		t.Errorf("gone: %+v, want unhealthy: reader not found", got[0])
	}
	if got[1].State != "free" {
		t.Errorf("emu: %+v, want free", got[1])
	}
}
