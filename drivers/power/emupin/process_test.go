package emupin

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// childEnv names the state file when the test binary runs as the DUT.
const childEnv = "EMUPIN_TEST_DUT_STATE"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(dut(path))
	}
	os.Exit(m.Run())
}

// dut is a minimal firmware in its own process: it opens the pins as the
// reference terminal would, reports the rail, waits for power to fail and
// reports again.
func dut(path string) int {
	adc, err := NewADC(path, nil)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	pg, err := NewPowerGood(path, nil)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer pg.Close()
	if err := pg.In(gpio.PullNoChange, gpio.FallingEdge); err != nil {
		fmt.Println("error", err)
		return 1
	}
	s, err := adc.Read()
	fmt.Println("ready", s.Raw, pg.Read(), err)
	edge := pg.WaitForEdge(5 * time.Second)
	s, err = adc.Read()
	fmt.Println("edge", edge, s.Raw, pg.Read(), err)
	return 0
}

// TestOtherProcess: a DUT in another process reads the supply through
// the periph.io pins and sees the output go off.
func TestOtherProcess(t *testing.T) {
	s := newSupply(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+s.Path())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		t.Helper()
		select {
		case l := <-lines:
			return l
		case <-ctx.Done():
			t.Fatal("the DUT process said nothing")
		}
		return ""
	}
	if got, want := next(), "ready 4200 High <nil>"; got != want {
		t.Fatalf("DUT: %q, want %q", got, want)
	}
	if err := s.SetOutput(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got, want := next(), "edge true 0 Low <nil>"; got != want {
		t.Fatalf("DUT: %q, want %q", got, want)
	}
}
