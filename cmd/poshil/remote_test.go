package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/drivers/serial/ser2nettest"
	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/verdict"
)

// cable joins two pty masters back to back until the test ends, as a
// null-modem cable joins two UARTs: what one pty's slave writes, the
// other's reads.
func cable(t *testing.T, x, y *serial.PTY) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	pipe := func(from, to serial.Port) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 4096)
		for {
			n, err := from.Read(ctx, buf)
			if err != nil {
				return
			}
			if _, err := to.Write(ctx, buf[:n]); err != nil {
				return
			}
		}
	}
	go pipe(x.Port(), y.Port())
	go pipe(y.Port(), x.Port())
	t.Cleanup(func() { cancel(); <-done; <-done })
}

// TestScenarioOverSer2net runs scenarios on a bench whose ECR line is a
// remote port: a real ser2net exports one end of a cable (RFC 2217 on
// loopback), the reference terminal has the other end, and the bench
// file names rfc2217://127.0.0.1:PORT with the line fault proxy in it.
// An approved sale passes, and so does the line cut at the result (the
// fault acts on the remote line).
func TestScenarioOverSer2net(t *testing.T) {
	needBench(t)
	buildRefterm(t)
	x, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	y, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	cable(t, x, y)
	s := ser2nettest.Start(t, ser2nettest.Export{Device: x.Path(), RFC2217: true})

	_, emulated := benches.Emulated()
	b := strings.Replace(string(emulated), "ecr:\n  port: emulated", "ecr:\n  proxy: true\n  port: "+s.Addr(0), 1)
	b = strings.Replace(b, `ecr_port: "{ecr}"`, `ecr_port: "`+y.Path()+`"`, 1)
	b = strings.Replace(b, "name: emulated", "name: remote-ecr", 1)
	if !strings.Contains(b, s.Addr(0)) || !strings.Contains(b, y.Path()) {
		t.Fatalf("bench file not rewritten:\n%s", b)
	}
	bench := write(t, "remote.yaml", b)
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := run([]string{"run", "--bench", bench, "--out", dir,
		"../../scenarios/chip/approved-sale.yaml", "../../scenarios/link/cut-at-result.yaml"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s\nser2net:\n%s", code, out.String(), errOut.String(), s.Log())
	}
	if d := os.Getenv("LAB_KEEP"); d != "" {
		_ = os.CopyFS(d, os.DirFS(dir))
	}
	r := readRecord(t, dir)
	if len(r.Results) != 2 {
		t.Fatalf("%d results", len(r.Results))
	}
	for _, res := range r.Results {
		if res.Class != verdict.Pass {
			t.Errorf("%s: %s %s", res.Scenario, res.Class, res.Reason)
		}
	}
}
