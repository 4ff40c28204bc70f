package dut

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// fakeFirmware is a host-program terminal in bash: it answers a sale with
// a card number and a PIN prompt, echoes other input (as a careless
// firmware echoes a PIN), reports on stderr, and on "quit" exits.
const fakeFirmware = `
echo "BOOT 1"
while IFS= read -r l; do
  case $l in
    "sale "*) echo "AMOUNT ${l#sale }"; echo "CARD 4761739001010010 TEST"; printf 'PIN: ' ;;
    quit) exit 3 ;;
    nap) sleep 5 ;;
    *) echo "ECHO $l"; echo "RESULT OK" >&2 ;;
  esac
done
`

const fakeProfile = `name: fake
send: {SALE: "sale {{.amount}}", KEY: "{{.keys}}", keys: {E: ""}, LAST: quit, STATUS: nap}
partial_line: 50ms
receive:
  - {match: '^BOOT', kind: READY}
  - {match: '^PIN:', kind: DISPLAY, fields: {text: ENTER PIN}}
  - {match: '^ECHO (?P<text>.*)', kind: DISPLAY}
  - {match: '^CARD (?P<pan>\d+)', kind: DISPLAY}
  - {match: '^RESULT (?P<dut_code>\w+)', kind: RESULT}
codes: {OK: APPROVED}
`

// taps records what a link's tap saw.
type taps struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on each line
}

func (tp *taps) tap(dir, line string) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.lines = append(tp.lines, dir+" "+line)
	if tp.changed != nil {
		close(tp.changed)
	}
	tp.changed = make(chan struct{})
}

// wait waits until a tapped line contains want.
func (tp *taps) wait(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		tp.mu.Lock()
		if tp.changed == nil {
			tp.changed = make(chan struct{})
		}
		changed := tp.changed
		found := strings.Contains(strings.Join(tp.lines, "\n"), want)
		tp.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no tap line with %q:\n%s", want, tp.all())
		}
	}
}

func (tp *taps) all() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return strings.Join(tp.lines, "\n")
}

// program starts bash -c script with its stdin and output on pipes (via
// Pipes) and returns the link's ends; the program is killed at cleanup.
func program(t *testing.T, script string) (io.WriteCloser, io.ReadCloser, *exec.Cmd, <-chan struct{}) {
	t.Helper()
	return start(t, []string{"bash", "-c", script})
}

// start runs argv as program does.
func start(t *testing.T, argv []string, env ...string) (io.WriteCloser, io.ReadCloser, *exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(cmd.Environ(), env...)
	stdin, output, started, err := Pipes(cmd)
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Start()
	started()
	if err != nil {
		stdin.Close()
		output.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return stdin, output, cmd, done
}

// next receives one message within a deadline and checks it.
func next(t *testing.T, l Link, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := l.Receive(ctx)
	if err != nil {
		t.Fatalf("waiting for %q: %v", want, err)
	}
	if got := describe(m); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func send(t *testing.T, l Link, m ecr.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Send(ctx, m); err != nil {
		t.Fatalf("send %s: %v", m.Kind, err)
	}
}

func TestProcessConversation(t *testing.T) {
	prof := mustProfile(t, fakeProfile)
	stdin, output, _, done := program(t, fakeFirmware)
	var tp taps
	l, err := NewProcess(stdin, output, prof, tp.tap)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	next(t, l, "READY")
	send(t, l, msg(ecr.Sale, "amount", "1250", "currency", "978", "ref", "A1"))
	next(t, l, "DISPLAY pan=476173******0010")
	next(t, l, "DISPLAY text=ENTER PIN") // "PIN: " has no newline: partial_line
	send(t, l, msg(ecr.Key, "keys", "4321E"))
	next(t, l, "DISPLAY text=****") // the echoed PIN, masked before matching
	next(t, l, "RESULT dut_code=OK code=APPROVED")

	// Nothing more: Receive honours its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	start := time.Now()
	_, err = l.Receive(ctx)
	cancel()
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("idle Receive: %v after %v, want ErrTimeout at 100ms", err, time.Since(start))
	}

	// The program ends: no error from Receive (the runner sees the exit),
	// a note in the tap, and sending fails as "not taken", not as a
	// bench error.
	send(t, l, msg(ecr.Last))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the program did not quit")
	}
	var sendErr error
	for range 50 { // the pipe reports EPIPE once the program's end is gone
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		sendErr = l.Send(ctx, msg(ecr.Last))
		cancel()
		if sendErr != nil {
			break
		}
	}
	if !errors.Is(sendErr, ErrInputClosed) || !errors.Is(sendErr, ecr.ErrNoAck) {
		t.Errorf("send to an ended program: %v, want ErrInputClosed and ecr.ErrNoAck", sendErr)
	}
	tp.wait(t, "note the firmware's output ended")
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := l.Receive(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Receive after Close: %v, want ErrClosed", err)
	}
	if err := l.Send(ctx, msg(ecr.Last)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}

	got := tp.all()
	for _, want := range []string{"out sale 1250", "out ****", "in ECHO ****", "in CARD 476173******0010 TEST", "in RESULT OK", "note the firmware's output ended"} {
		if !strings.Contains(got, want) {
			t.Errorf("tap lacks %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{"4321", "4761739001010010"} {
		if strings.Contains(got, secret) {
			t.Errorf("tap shows %s:\n%s", secret, got)
		}
	}
}

func TestProcessSendHonoursContext(t *testing.T) {
	prof := mustProfile(t, fakeProfile)
	stdin, output, _, _ := program(t, fakeFirmware)
	l, err := NewProcess(stdin, output, prof, nil)
	if err != nil {
		t.Fatal(err)
	}
	next(t, l, "READY")
	send(t, l, msg(ecr.Status)) // "nap": the program stops reading for 5s
	// 1 MiB fills the pipe: the write blocks until ctx ends.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = l.Send(ctx, msg(ecr.Key, "keys", strings.Repeat("1", 1<<20)))
	if !errors.Is(err, ErrTimeout) || time.Since(start) > 2*time.Second {
		t.Errorf("Send to a program that does not read: %v after %v, want ErrTimeout at 200ms", err, time.Since(start))
	}
	start = time.Now()
	if err := l.Close(); err != nil || time.Since(start) > closeWait {
		t.Errorf("Close with a write stuck: %v after %v", err, time.Since(start))
	}
}

func TestProcessAttachAfterRestart(t *testing.T) {
	prof := mustProfile(t, strings.Replace(fakeProfile, "partial_line: 50ms", "ready_on_start: true", 1))
	// A firmware that prints nothing at boot.
	const quiet = `while IFS= read -r l; do echo "RESULT $l"; done`
	stdin, output, cmd, done := program(t, quiet)
	var tp taps
	l, err := NewProcess(stdin, output, prof, tp.tap)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	next(t, l, "READY synthesized=1")
	send(t, l, msg(ecr.Key, "keys", "OK"))
	next(t, l, "RESULT dut_code=OK code=APPROVED")

	_ = cmd.Process.Kill() // a power cut
	<-done
	stdin2, output2, _, _ := program(t, quiet)
	if err := l.Attach(stdin2, output2); err != nil {
		t.Fatal(err)
	}
	next(t, l, "READY synthesized=1")
	send(t, l, msg(ecr.Key, "keys", "NO"))
	next(t, l, "RESULT dut_code=NO unmapped=NO")
	if !strings.Contains(tp.all(), `note profile fake (test.yaml) has no canonical code for the firmware's code "NO": RESULT without code`) {
		t.Errorf("no note about the unmapped code:\n%s", tp.all())
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	stdin3, output3, _, _ := program(t, quiet)
	if err := l.Attach(stdin3, output3); !errors.Is(err, ErrClosed) {
		t.Errorf("Attach after Close: %v, want ErrClosed", err)
	}
}

// TestStatusWithoutTemplate: with ready_on_start, a STATUS the firmware
// has no command for is answered by the adapter; without, it is
// ErrNoTemplate.
func TestStatusWithoutTemplate(t *testing.T) {
	const quiet = `while IFS= read -r l; do echo "RESULT $l"; done`
	for _, ready := range []bool{true, false} {
		doc := strings.Replace(fakeProfile, ", STATUS: nap", "", 1)
		if ready {
			doc += "ready_on_start: true\n"
		}
		prof := mustProfile(t, doc)
		stdin, output, _, _ := program(t, quiet)
		var tp taps
		l, err := NewProcess(stdin, output, prof, tp.tap)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = l.Send(ctx, msg(ecr.Status))
		cancel()
		if ready {
			if err != nil {
				t.Fatalf("STATUS with ready_on_start: %v", err)
			}
			next(t, l, "READY synthesized=1") // at start
			next(t, l, "READY synthesized=1") // the answer
			tp.wait(t, "note STATUS: the profile has no STATUS template")
		} else if !errors.Is(err, ErrNoTemplate) {
			t.Errorf("STATUS without template: %v, want ErrNoTemplate", err)
		}
		if prof.Sends(ecr.Status) != ready {
			t.Errorf("Sends(STATUS) = %v with ready_on_start %v", !ready, ready)
		}
		_ = l.Close()
	}
}
