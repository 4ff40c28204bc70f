package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the sim goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSimCardWithOpenSC keeps a card in vpcd slot 1 with `poshil sim card`
// and talks to it with OpenSC's opensc-tool through the real pcscd, as a
// lab engineer would.
func TestSimCardWithOpenSC(t *testing.T) {
	tool, err := exec.LookPath("opensc-tool")
	if err != nil {
		t.Fatal("opensc-tool not installed (make deps installs opensc)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	simCtx, stopSim := context.WithCancel(ctx)
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- execute(simCtx, []string{"sim", "card", "--profile", "visa-credit", "--slot", "1"}, &out, &errOut)
	}()
	defer func() {
		stopSim()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("sim exit %d: %s", code, errOut.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("sim did not stop")
		}
	}()

	// The sim may wait for the slot (another test's card); then pcscd
	// notices the card at its next presence poll. opensc-tool -a waits for
	// nothing, so ask until the reader reports the card.
	for ctx.Err() == nil && !strings.Contains(out.String(), "inserted") {
		select {
		case code := <-done:
			done <- code // for the deferred check
			t.Fatalf("sim ended with %d: %s", code, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	var atr string
	for ctx.Err() == nil {
		o, _ := exec.CommandContext(ctx, tool, "-r", "1", "-a").CombinedOutput()
		if s := strings.TrimSpace(string(o)); strings.Count(s, ":") > 5 && !strings.Contains(s, "No card") {
			atr = s
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if atr == "" {
		t.Fatalf("no ATR from reader 1; sim said %q %q", out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), strings.ReplaceAll(strings.ToUpper(atr), ":", "")) {
		t.Errorf("opensc-tool ATR %s differs from the sim's %q", atr, out.String())
	}
	o, err := exec.CommandContext(ctx, tool, "-r", "1", "-s",
		"00:A4:04:00:0E:32:50:41:59:2E:53:59:53:2E:44:44:46:30:31:00").CombinedOutput()
	if err != nil {
		t.Fatalf("opensc-tool -s: %v\n%s", err, o)
	}
	if !strings.Contains(string(o), "Received (SW1=0x90, SW2=0x00):\n6F ") || !strings.Contains(string(o), "VISA CREDIT") {
		t.Errorf("PPSE FCI lacks the template or the Visa AID:\n%s", o)
	}
}
