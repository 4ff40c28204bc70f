package serial_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/drivers/serial/ser2nettest"
)

// exported is a pty whose slave side a real ser2net exports.
func exported(t *testing.T, rfc2217 bool) (*serial.PTY, *ser2nettest.Server) {
	t.Helper()
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	s := ser2nettest.Start(t, ser2nettest.Export{Device: pty.Path(), RFC2217: rfc2217, Line: "9600n81"})
	return pty, s
}

func openAddr(t *testing.T, addr string, opt serial.Options) serial.Port {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	p, err := serial.OpenAddr(ctx, addr, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// readFull reads exactly n bytes within 5 s.
func readFull(t *testing.T, p serial.Port, n int) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var got []byte
	buf := make([]byte, 1024)
	for len(got) < n {
		k, err := p.Read(ctx, buf[:min(len(buf), n-len(got))])
		if err != nil {
			t.Fatalf("%s: after %d of %d bytes: %v", p.Name(), len(got), n, err)
		}
		got = append(got, buf[:k]...)
	}
	return got
}

func every() []byte {
	b := make([]byte, 0, 512)
	for range 2 {
		for v := range 256 {
			b = append(b, byte(v))
		}
	}
	return b
}

// TestRemoteBytesPassUnchanged sends every byte value both ways through
// ser2net, raw TCP and RFC 2217 (telnet: 0xFF is IAC and must be doubled
// on the wire, CR NUL must not be touched in binary mode).
func TestRemoteBytesPassUnchanged(t *testing.T) {
	for _, rfc := range []bool{false, true} {
		name := "tcp"
		if rfc {
			name = "rfc2217"
		}
		t.Run(name, func(t *testing.T) {
			pty, s := exported(t, rfc)
			p := openAddr(t, s.Addr(0), serial.Options{Baud: 9600})
			data := every()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			if n, err := p.Write(ctx, data); err != nil || n != len(data) {
				t.Fatalf("write: %d %v", n, err)
			}
			if got := readFull(t, pty.Port(), len(data)); !bytes.Equal(got, data) {
				t.Fatalf("device got % x", got)
			}
			if _, err := pty.Port().Write(ctx, data); err != nil {
				t.Fatal(err)
			}
			if got := readFull(t, p, len(data)); !bytes.Equal(got, data) {
				t.Fatalf("client got % x", got)
			}
		})
	}
}

// TestRFC2217SetsTheLine: the baud rate asked for reaches the device
// behind ser2net (the pty's termios), and changes with the next open.
func TestRFC2217SetsTheLine(t *testing.T) {
	pty, s := exported(t, true)
	speed := func() uint32 {
		fd, err := unix.Open(pty.Path(), unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return tio.Cflag & unix.CBAUD
	}
	for _, c := range []struct {
		baud int
		want uint32
	}{{19200, unix.B19200}, {57600, unix.B57600}} {
		p := openAddr(t, s.Addr(0), serial.Options{Baud: c.baud})
		if got := speed(); got != c.want {
			t.Errorf("baud %d: device speed %#o, want %#o", c.baud, got, c.want)
		}
		p.Close()
	}
}

// TestRFC2217ModemLines: ser2net reports the modem state (a pty has none
// set), and a pty cannot drive DTR/RTS, which ser2net does not confirm:
// ErrNotSupported within the control deadline, as on a local pty, never a
// hang or a silent success.
func TestRFC2217ModemLines(t *testing.T) {
	_, s := exported(t, true)
	p := openAddr(t, s.Addr(0), serial.Options{})
	ml, ok := p.(serial.ModemLines)
	if !ok {
		t.Fatalf("%T has no ModemLines", p)
	}
	st, err := ml.Status()
	if err != nil || st != (serial.ModemStatus{}) {
		t.Errorf("status %+v %v, want the pty's: all clear", st, err)
	}
	start := time.Now()
	if err := ml.SetDTR(true); !errors.Is(err, serial.ErrNotSupported) {
		t.Errorf("SetDTR on a pty behind ser2net: %v, want ErrNotSupported", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("SetDTR took %v", took)
	}
	// The line still carries bytes after the refused control.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := p.Write(ctx, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if _, has := openAddr(t, "tcp://"+s.Addr(0)[len("rfc2217://"):], serial.Options{}).(serial.ModemLines); has {
		t.Error("a raw TCP port claims modem lines")
	}
}

// TestRFC2217ToARawPort: a raw port does not speak telnet; opening it as
// RFC 2217 fails with ErrNegotiation when ctx ends, never hangs.
func TestRFC2217ToARawPort(t *testing.T) {
	_, s := exported(t, false)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	addr := "rfc2217://" + s.Addr(0)[len("tcp://"):]
	p, err := serial.OpenAddr(ctx, addr, serial.Options{})
	if !errors.Is(err, serial.ErrNegotiation) {
		if p != nil {
			p.Close()
		}
		t.Fatalf("%v, want ErrNegotiation", err)
	}
}

// TestRemoteKickedIsIOError: ser2net hands the port to a newer client
// (kickolduser); the old client's blocked Read ends with ErrIO.
func TestRemoteKickedIsIOError(t *testing.T) {
	_, s := exported(t, true)
	old := openAddr(t, s.Addr(0), serial.Options{})
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := old.Read(ctx, make([]byte, 16))
		got <- err
	}()
	openAddr(t, s.Addr(0), serial.Options{})
	select {
	case err := <-got:
		if !errors.Is(err, serial.ErrIO) {
			t.Fatalf("kicked client's read: %v, want ErrIO", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the kicked client's read did not end")
	}
}

func TestOpenAddrRefusesBadAddresses(t *testing.T) {
	for _, a := range []string{"rfc2217://", "tcp://nohost", "tcp://h:1/path"} {
		if _, err := serial.OpenAddr(t.Context(), a, serial.Options{}); !errors.Is(err, serial.ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", a, err)
		}
	}
}

// BenchmarkRemoteRoundTrip measures one 32-byte ECR-sized frame out
// through ser2net to the device and the same frame back, per transport:
// a local pty pair (the baseline), raw TCP and RFC 2217.
func BenchmarkRemoteRoundTrip(b *testing.B) {
	frame := bytes.Repeat([]byte{0x02, 'S', 'A', 'L', 'E', 0xFF, 0x03, 0x10}, 4)
	for _, mode := range []string{"pty", "tcp", "rfc2217"} {
		b.Run(mode, func(b *testing.B) {
			pty, err := serial.NewPTY()
			if err != nil {
				b.Fatal(err)
			}
			defer pty.Close()
			var p serial.Port
			if mode == "pty" {
				p, err = serial.Open(pty.Path(), serial.Options{})
			} else {
				s := ser2nettest.Start(b, ser2nettest.Export{Device: pty.Path(), RFC2217: mode == "rfc2217"})
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				p, err = serial.OpenAddr(ctx, s.Addr(0), serial.Options{})
				cancel()
			}
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			buf := make([]byte, len(frame))
			full := func(ctx context.Context, from serial.Port) {
				for got := 0; got < len(frame); {
					n, err := from.Read(ctx, buf[got:])
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
			b.ResetTimer()
			for range b.N {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if _, err := p.Write(ctx, frame); err != nil {
					b.Fatal(err)
				}
				full(ctx, pty.Port())
				if _, err := pty.Port().Write(ctx, frame); err != nil {
					b.Fatal(err)
				}
				full(ctx, p)
				cancel()
			}
		})
	}
}
