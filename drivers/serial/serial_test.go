package serial

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// pair is a PTY with the slave opened through Open, as a DUT would.
func pair(t *testing.T) (*PTY, Port) {
	t.Helper()
	p, err := NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	s, err := Open(p.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return p, s
}

// readFull reads exactly n bytes from p within d.
func readFull(t *testing.T, p Port, n int, d time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < n {
		k, err := p.Read(ctx, buf)
		if err != nil {
			t.Fatalf("%s: read after %d of %d bytes: %v", p.Name(), len(got), n, err)
		}
		if k == 0 {
			t.Fatalf("%s: Read returned (0, nil)", p.Name())
		}
		got = append(got, buf[:k]...)
	}
	return got
}

func write(t *testing.T, p Port, b []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := p.Write(ctx, b)
	if err != nil || n != len(b) {
		t.Fatalf("%s: write: n=%d of %d, err=%v", p.Name(), n, len(b), err)
	}
}

// allBytes is every byte value four times, control characters included.
func allBytes() []byte {
	b := make([]byte, 0, 1024)
	for r := 0; r < 4; r++ {
		for i := 0; i < 256; i++ {
			b = append(b, byte(i))
		}
	}
	return b
}

func TestPTYBothWaysAllBytes(t *testing.T) {
	p, s := pair(t)
	m := p.Port()
	want := allBytes()

	done := make(chan struct{})
	go func() { defer close(done); write(t, m, want) }()
	if got := readFull(t, s, len(want), 2*time.Second); !bytes.Equal(got, want) {
		t.Errorf("master->slave altered bytes:\n got %x\nwant %x", got, want)
	}
	<-done
	done = make(chan struct{})
	go func() { defer close(done); write(t, s, want) }()
	if got := readFull(t, m, len(want), 2*time.Second); !bytes.Equal(got, want) {
		t.Errorf("slave->master altered bytes:\n got %x\nwant %x", got, want)
	}
	<-done
}

// TestPTYRawWithoutConfiguringPeer checks PTY's own raw mode: the peer
// opens the path as a plain file and sets no termios at all.
func TestPTYRawWithoutConfiguringPeer(t *testing.T) {
	p, err := NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f, err := os.OpenFile(p.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := allBytes()
	write(t, p.Port(), want)
	got := make([]byte, len(want))
	f.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(f, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("peer read altered bytes:\n got %x\nwant %x", got, want)
	}
	// Nothing may come back: no echo.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if n, err := p.Port().Read(ctx, make([]byte, 16)); !errors.Is(err, ErrTimeout) {
		t.Errorf("echo: master read n=%d err=%v, want timeout", n, err)
	}
}

// quick runs op up to three times and fails if it never returns within
// bound. Retrying keeps the check meaningful (a port that ignores ctx fails
// every time) while a loaded CI machine's scheduling hiccup does not fail it.
func quick(t *testing.T, what string, bound time.Duration, op func()) {
	t.Helper()
	var took []time.Duration
	for range 3 {
		start := time.Now()
		op()
		d := time.Since(start)
		if d <= bound {
			return
		}
		took = append(took, d)
	}
	t.Errorf("%s: took %v, want within %v", what, took, bound)
}

func TestReadHonoursContext(t *testing.T) {
	p, s := pair(t)
	for _, port := range []Port{p.Port(), s} {
		t.Run(port.Name(), func(t *testing.T) {
			quick(t, "read, deadline 30ms", 30*time.Millisecond+100*time.Millisecond, func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
				defer cancel()
				_, err := port.Read(ctx, make([]byte, 8))
				if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("deadline: err = %v", err)
				}
			})
			quick(t, "read, cancel at 20ms", 20*time.Millisecond+100*time.Millisecond, func() {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(20*time.Millisecond, cancel)
				_, err := port.Read(ctx, make([]byte, 8))
				if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.Canceled) {
					t.Errorf("cancel: err = %v", err)
				}
			})
		})
	}
}

func TestCloseEndsRead(t *testing.T) {
	p, s := pair(t)
	for _, port := range []Port{s, p.Port()} {
		t.Run(port.Name(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				_, err := port.Read(ctx, make([]byte, 8))
				errc <- err
			}()
			time.AfterFunc(20*time.Millisecond, func() { port.Close() })
			select {
			case err := <-errc:
				if !errors.Is(err, ErrClosed) {
					t.Errorf("blocked read: err = %v, want ErrClosed", err)
				}
			case <-time.After(time.Second):
				t.Fatal("Close did not end a blocked Read")
			}
			if _, err := port.Read(ctx, make([]byte, 8)); !errors.Is(err, ErrClosed) {
				t.Errorf("read after close: err = %v, want ErrClosed", err)
			}
			if _, err := port.Write(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
				t.Errorf("write after close: err = %v, want ErrClosed", err)
			}
			if err := port.Close(); err != nil {
				t.Errorf("second close: %v", err)
			}
		})
	}
}

func TestPeerReopens(t *testing.T) {
	p, s := pair(t)
	m := p.Port()
	write(t, s, []byte("boot1"))
	if got := readFull(t, m, 5, time.Second); string(got) != "boot1" {
		t.Fatalf("got %q", got)
	}
	s.Close()
	// The peer is gone: the master just times out (no EIO).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err := m.Read(ctx, make([]byte, 8))
	cancel()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("master read with peer closed: %v, want timeout", err)
	}
	write(t, m, []byte("stale"))
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(p.Path(), Options{Baud: 9600})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	write(t, s2, []byte("boot2"))
	if got := readFull(t, m, 5, time.Second); string(got) != "boot2" {
		t.Fatalf("got %q", got)
	}
	write(t, m, []byte("hi"))
	if got := readFull(t, s2, 2, time.Second); string(got) != "hi" {
		t.Fatalf("reopened peer got %q, want \"hi\" (stale bytes flushed)", got)
	}
}

func TestPeerGoneIsIOError(t *testing.T) {
	p, s := pair(t)
	p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := s.Read(ctx, make([]byte, 8))
	if !errors.Is(err, ErrIO) {
		t.Errorf("read with pty gone: %v, want ErrIO", err)
	}
}

func TestWriteHonoursContext(t *testing.T) {
	p, s := pair(t)
	big := make([]byte, 1<<20) // far more than the pty buffers; nobody reads
	for _, port := range []Port{p.Port(), s} {
		t.Run(port.Name(), func(t *testing.T) {
			quick(t, "write, deadline 50ms", 50*time.Millisecond+100*time.Millisecond, func() {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				n, err := port.Write(ctx, big)
				if !errors.Is(err, ErrTimeout) || n >= len(big) {
					t.Errorf("n=%d err=%v, want a short write and ErrTimeout", n, err)
				}
			})
		})
	}
}

func TestModemLinesOnPTY(t *testing.T) {
	p, s := pair(t)
	if _, ok := p.Port().(ModemLines); ok {
		t.Error("pty master claims ModemLines")
	}
	ml, ok := s.(ModemLines)
	if !ok {
		t.Fatal("port from Open lacks ModemLines")
	}
	if err := ml.SetDTR(true); !errors.Is(err, ErrNotSupported) {
		t.Errorf("SetDTR on pty: %v, want ErrNotSupported", err)
	}
	if err := ml.SetRTS(false); !errors.Is(err, ErrNotSupported) {
		t.Errorf("SetRTS on pty: %v, want ErrNotSupported", err)
	}
	if _, err := ml.Status(); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Status on pty: %v, want ErrNotSupported", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("/dev/does-not-exist-poshil", Options{}); !errors.Is(err, ErrOpen) {
		t.Errorf("missing device: %v, want ErrOpen", err)
	}
	if _, err := Open("/dev/null", Options{}); !errors.Is(err, ErrOpen) {
		t.Errorf("not a tty: %v, want ErrOpen", err)
	}
	if _, err := Open("/dev/null", Options{DataBits: 9}); !errors.Is(err, ErrOptions) {
		t.Errorf("bad options: %v, want ErrOptions", err)
	}
}
