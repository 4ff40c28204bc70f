package dut

import (
	"bufio"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/drivers/serial"
)

// consoleProfile is a debug console: CRLF both ways, a "pos> " prompt,
// colours, input echoed, a PIN prompt without newline.
const consoleProfile = `name: devboard
send:
  SALE: "pay {{decimal .amount 2}}"
  KEY: "{{.keys}}"
  keys: {E: "", C: "esc"}
  STATUS: "ping"
  newline: crlf
prompt: 'pos> '
partial_line: 50ms
receive:
  - {match: '^(pong|boot ok)$', kind: READY}
  - {match: '^PIN\?', kind: DISPLAY, fields: {text: ENTER PIN}}
  - {match: '^txn (?P<dut_code>\d+)', kind: RESULT}
codes: {"0": APPROVED, "5": DECLINED}
`

// devboard plays the firmware on the slave side of a pty: it echoes every
// line it reads, as a console does, and answers.
func devboard(t *testing.T, port serial.Port, got chan<- string) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r := bufio.NewReader(readerFunc(func(b []byte) (int, error) { return port.Read(ctx, b) }))
	write := func(s string) {
		if _, err := port.Write(ctx, []byte(s)); err != nil && ctx.Err() == nil {
			t.Errorf("devboard write: %v", err)
		}
	}
	write("\x1b[32mboot ok\x1b[0m\r\n")
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			got <- line
			write(line + "\r\n") // echo
			switch {
			case line == "ping":
				write("pos> pong\r\n")
			case strings.HasPrefix(line, "pay "):
				write("pos> PIN? ") // no newline: the board waits for input
			case line == "esc":
				write("pos> txn 5\r\n")
			default:
				write("pos> txn 0\r\n")
			}
		}
	}()
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

func TestConsoleOverPTY(t *testing.T) {
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	board, err := serial.Open(pty.Path(), serial.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	got := make(chan string, 16)
	devboard(t, board, got)

	var tp taps
	l, err := NewConsole(pty.Port(), mustProfile(t, consoleProfile), tp.tap)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	next(t, l, "READY")
	send(t, l, msg(ecr.Status))
	next(t, l, "READY")
	send(t, l, msg(ecr.Sale, "amount", "1999", "currency", "978", "ref", "X"))
	next(t, l, "DISPLAY text=ENTER PIN")
	send(t, l, msg(ecr.Key, "keys", "9876E"))
	next(t, l, "RESULT dut_code=0 code=APPROVED")
	send(t, l, msg(ecr.Key, "keys", "C"))
	next(t, l, "RESULT dut_code=5 code=DECLINED")

	var lines []string
	for range 4 {
		select {
		case s := <-got:
			lines = append(lines, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("the board received only %q", lines)
		}
	}
	if want := []string{"ping", "pay 19.99", "9876", "esc"}; strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("the board received %q, want %q (CRLF stripped)", lines, want)
	}
	all := tp.all()
	if strings.Contains(all, "9876") {
		t.Errorf("the PIN (sent or echoed) reached the tap:\n%s", all)
	}
	for _, want := range []string{"in boot ok", "out pay 19.99", "out ****", "in ****", "in pos> PIN?"} {
		if !strings.Contains(all, want) {
			t.Errorf("tap lacks %q:\n%s", want, all)
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// The link does not own the port.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := pty.Port().Write(ctx, []byte("x")); err != nil {
		t.Errorf("port closed by the link's Close: %v", err)
	}
}

func TestConsoleLineDown(t *testing.T) {
	pty, err := serial.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewConsole(pty.Port(), mustProfile(t, consoleProfile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pty.Close() // the line goes away under the link
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := l.Receive(ctx); !errors.Is(err, ErrLinkDown) || !errors.Is(err, serial.ErrClosed) {
		t.Errorf("Receive on a closed line: %v, want ErrLinkDown wrapping serial.ErrClosed", err)
	}
	if err := l.Send(ctx, msg(ecr.Status)); !errors.Is(err, ErrLinkDown) {
		t.Errorf("Send on a closed line: %v, want ErrLinkDown", err)
	}
}
