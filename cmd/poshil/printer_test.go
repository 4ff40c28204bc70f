package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// TestPrinterCommand: the printer command serves a pty, answers status
// and shows each receipt with card numbers masked.
func TestPrinterCommand(t *testing.T) {
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- printerCmd([]string{"--state", "near_end", "--for", "3s"}, w, testWriter{t})
		w.Close()
	}()
	out := bufio.NewScanner(r)
	if !out.Scan() {
		t.Fatal("no first line")
	}
	first := out.Text()
	i := strings.Index(first, " on /dev/")
	if !strings.HasPrefix(first, "printer near_end") || i < 0 {
		t.Fatalf("first line %q", first)
	}
	path := strings.Fields(first[i+4:])[0]
	port, err := serial.Open(path, serial.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := port.Write(ctx, []byte("\x10\x04\x04")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := port.Read(ctx, b); err != nil || b[0] != 0x1E {
		t.Fatalf("DLE EOT 4 = %x, %v; want 1E (near end)", b, err)
	}
	if _, err := port.Write(ctx, []byte("\x1b@SALE\nCARD 4761739001010010\n\x1dV\x00")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for out.Scan() {
		got = append(got, out.Text())
	}
	text := strings.Join(got, "\n")
	if !strings.Contains(text, "--- receipt 1") || !strings.Contains(text, "SALE") || strings.Contains(text, "4761739001010010") {
		t.Fatalf("output:\n%s", text)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	if code := printerCmd([]string{"--state", "burning"}, io.Discard, io.Discard); code != 3 {
		t.Errorf("bad state: exit %d", code)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }
