package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

// TestValidateBadValues: each bad value the issue lists, and its kin,
// exits 3 from validate with the error at the value's own file:line:col.
func TestValidateBadValues(t *testing.T) {
	_, emulated := benches.Emulated()
	bench := func(old, new string) string {
		if !strings.Contains(string(emulated), old) {
			t.Fatalf("the shipped bench has no %q", old)
		}
		return strings.Replace(string(emulated), old, new, 1)
	}
	// lineOf is the line of the shipped bench where text stands, so the
	// expected places follow the file as it grows.
	lineOf := func(text string) int {
		i := strings.Index(string(emulated), text)
		if i < 0 {
			t.Fatalf("the shipped bench has no %q", text)
		}
		return strings.Count(string(emulated[:i]), "\n") + 1
	}
	const head = "name: a\ncard: visa-credit\n"
	tests := []struct {
		name, file, body string
		args             []string // before the file
		want             string   // after the file name
		needs            func() bool
	}{
		{name: "within -5s", file: "s.yaml", body: head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  within: -5s\n", want: ":6:11: within -5s"},
		{name: "step within -5s", file: "s.yaml", body: head + "steps:\n  - sale: 1\n  - display: {text: PIN, within: -5s}\nexpect: {outcome: APPROVED}\n", want: ":5:34: within -5s"},
		{name: "zero timeout", file: "s.yaml", body: head + "timeout: 0s\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", want: ":3:10: timeout 0s"},
		{name: "wait longer than the timeout", file: "s.yaml", body: head + "timeout: 5s\nsteps:\n  - sale: 1\n  - wait: 6s\nexpect: {outcome: APPROVED}\n", want: ":6:11: wait 6s is at least the scenario's timeout 5s"},
		{name: "line delay longer than the timeout", file: "s.yaml", body: head + "timeout: 5s\nfaults:\n  - line_delay: {delay: 6s}\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", want: ":5:17: fault line_delay delays the bench",
			needs: func() bool {
				_, ok := fault.Fault(&fault.LineDelay{}).(interface{ MaxDelay() time.Duration })
				return ok
			}},
		{name: "amount 99999999999.99", file: "s.yaml", body: head + "steps:\n  - sale: 99999999999.99\nexpect: {outcome: APPROVED}\n", want: ":4:11: amount 99999999999.99"},
		{name: "YAML syntax at its line", file: "s.yaml", body: head + "steps:\n  - sale: 1\nexpect:\n  outcome: APPROVED\n  never: [DECLINED\n", want: ":7:3: YAML syntax"},
		{name: "expect.host without an emulated host", file: "s.yaml", args: []string{"--bench", "real.yaml"}, body: head + "steps: [{sale: 1}]\nexpect:\n  outcome: APPROVED\n  host: {requests: 1}\n", want: ":6:3: expect.host needs a bench with an emulated host"},
		{name: "unknown card", file: "s.yaml", body: "name: a\ncard: no-such-card\nsteps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n", want: ":2:7: "},
		{name: "boot_timeout -1s", file: "b.yaml", body: bench("boot_timeout: 10s", "boot_timeout: -1s"), want: fmt.Sprintf(":%d:17: dut.boot_timeout -1s", lineOf("boot_timeout: 10s"))},
		{name: "nominal -3 V", file: "b.yaml", body: bench("nominal: 4.2V", "nominal: -3V"), want: fmt.Sprintf(":%d:12: power.nominal -3V", lineOf("nominal: 4.2V"))},
		{name: "nominal 1000 V", file: "b.yaml", body: bench("nominal: 4.2V", "nominal: 1000V"), want: fmt.Sprintf(":%d:12: power.nominal 1000V", lineOf("nominal: 4.2V"))},
		{name: "bench error at its key", file: "b.yaml", body: bench("reader: Virtual PCD 00 00", "reader: \"\""), want: ":9:11: card.reader"},
	}
	dir := t.TempDir()
	real := "name: real\ncard: {reader: ACS ACR39U}\necr: {port: /dev/ttyUSB0}\nhost: {address: testhost:5000}\n"
	if err := os.WriteFile(filepath.Join(dir, "real.yaml"), []byte(real), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needs != nil && !tt.needs() {
				t.Skip("fault.LineDelay has no MaxDelay on this branch yet")
			}
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"validate"}
			for _, a := range tt.args {
				if strings.HasSuffix(a, ".yaml") {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			var out, errOut bytes.Buffer
			code := run(append(args, p), &out, &errOut)
			if code != verdict.ExitInvalid {
				t.Fatalf("exit %d, want 3; stdout %q stderr %q", code, out.String(), errOut.String())
			}
			if !strings.HasPrefix(errOut.String(), p+tt.want) {
				t.Errorf("stderr\n%s\nwant it to start with\n%s%s", errOut.String(), p, tt.want)
			}
		})
	}
}

// TestValidateMergeOverride: a merge key followed by an override of the
// same key is valid YAML and a valid scenario.
func TestValidateMergeOverride(t *testing.T) {
	p := write(t, "s.yaml", `name: merged
card: visa-credit
steps:
  - sale: 1
  - insert: chip
matrix:
  - &base {card: visa-credit, amount: 2.00}
  - <<: *base
    amount: 3.00
expect:
  outcome: APPROVED
`)
	var out, errOut bytes.Buffer
	if code := run([]string{"validate", p}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

// TestValidateFIFO: a FIFO with no writer is refused at once, exit 3.
func TestValidateFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "s.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() { done <- run([]string{"validate", fifo}, &out, &errOut) }()
	select {
	case code := <-done:
		if code != verdict.ExitInvalid || !strings.Contains(errOut.String(), "not a regular file") {
			t.Errorf("exit %d, stderr %q", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatal("validate waited on a FIFO with no writer")
	}
}

// TestValidateStdin: "-" validates standard input, read once.
func TestValidateStdin(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old }()
	go func() {
		_, _ = w.Write([]byte("name: a\nsteps: [{wait: -1s}]\nexpect: {outcome: APPROVED}\n"))
		w.Close()
	}()
	var out, errOut bytes.Buffer
	if code := run([]string{"validate", yamldoc.Stdin}, &out, &errOut); code != verdict.ExitInvalid || !strings.HasPrefix(errOut.String(), "-:2:16: wait -1s") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

// TestValidateLargeFile: a 4 MiB file is answered within 2 s, refused at
// its place or decoded.
func TestValidateLargeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: big\ncard: visa-credit\nsteps:\n")
	for b.Len() < yamldoc.MaxFileSize-100 {
		b.WriteString("  - sale: 12.50 # padding padding padding padding padding padding\n")
	}
	b.WriteString("expect: {outcome: APPROVED}\n")
	p := write(t, "big.yaml", b.String())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	var out, errOut bytes.Buffer
	code := run([]string{"validate", p}, &out, &errOut)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes: %v, %d MB allocated", b.Len(), took, alloc>>20)
	if took > 2*time.Second*raceFactor {
		t.Errorf("validate took %v", took)
	}
	if alloc > 200<<20 {
		t.Errorf("validate allocated %d MB", alloc>>20)
	}
	if code != verdict.ExitInvalid || !strings.HasPrefix(errOut.String(), p+":") || !strings.Contains(errOut.String(), "YAML values") {
		t.Errorf("exit %d, stderr %.200q", code, errOut.String())
	}
}
