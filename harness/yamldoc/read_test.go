package yamldoc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadRefusesFIFO: a FIFO with no writer is refused at once, not
// waited on (open(2) of a FIFO blocks until a writer comes).
func TestReadRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "s.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), fifo+": ") {
			t.Errorf("got %v, want %v as an input error", err, ErrNotRegular)
		}
	case <-time.After(5 * time.Second):
		// unblock the reader so the test ends
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("Read waited on a FIFO with no writer")
	}
}

func TestReadRefusesDirectory(t *testing.T) {
	_, err := Read(t.TempDir())
	if !errors.Is(err, ErrNotRegular) {
		t.Errorf("got %v, want %v", err, ErrNotRegular)
	}
}

func TestReadSizeLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(p); err == nil || !strings.HasPrefix(err.Error(), p+":1:1: file is") {
		t.Errorf("got %v", err)
	}
}

// TestReadStdin: "-" reads standard input once, up to the size limit,
// without waiting for more than the limit.
func TestReadStdin(t *testing.T) {
	for _, tt := range []struct {
		name string
		size int
		ok   bool
	}{{"small", 10, true}, {"at the limit", MaxFileSize, true}, {"over the limit", MaxFileSize + 1, false}} {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			old := os.Stdin
			os.Stdin = r
			defer func() { os.Stdin = old }()
			go func() {
				// a writer that never closes when it has more than the
				// limit to give: Read must stop at the limit
				_, _ = w.Write(make([]byte, tt.size))
				if tt.ok {
					w.Close()
				}
			}()
			defer w.Close()
			data, err := Read(Stdin)
			if tt.ok && (err != nil || len(data) != tt.size) {
				t.Errorf("got %d bytes, %v", len(data), err)
			}
			if !tt.ok && (err == nil || !strings.HasPrefix(err.Error(), "-:1:1: more than")) {
				t.Errorf("got %v, want the size limit", err)
			}
		})
	}
}
