package dut

import (
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/yamldoc"
)

// oneShot is a one-shot kernel in bash: the amount is its first argument;
// it prints a prompt without a newline, reads a PIN, and ends by amount:
// 100 approves on its last line, 200 exits 3 (a chip error), 300 prints a
// RESULT line of its own and exits 3, 400 exits 9 (a status the profile
// does not map), 500 sleeps until killed, 600 echoes $ONESHOT_REF.
const oneShot = `
echo "AMOUNT $1"
case $1 in
  200) exit 3 ;;
  300) echo "RESULT DECLINED_BY_KERNEL"; exit 3 ;;
  400) exit 9 ;;
  500) sleep 30; exit 0 ;;
  600) echo "REF $ONESHOT_REF"; exit 0 ;;
esac
printf 'ENTER PIN: '
read -r pin
echo "GOT ${#pin} DIGITS"
echo "APPROVED AUTH 123456"
`

const oneShotProfile = `name: oneshot
partial_line: 30ms
per_sale:
  args: ["{{.amount}}"]
  env: {ONESHOT_REF: "{{.ref}}"}
  last_line: '^(?P<dut_code>APPROVED) AUTH (?P<auth>\d+)$'
  exit_codes: {3: ERR_CHIP}
send: {KEY: "{{.keys}}", keys: {E: ""}}
receive:
  - {match: '^(?P<text>AMOUNT \d+|ENTER PIN|REF .*)', kind: DISPLAY}
  - {match: '^RESULT (?P<dut_code>\w+)', kind: RESULT}
codes: {APPROVED: APPROVED, ERR_CHIP: CHIP_ERROR, DECLINED_BY_KERNEL: DECLINED}
`

// execProgram is a Program run by os/exec, as the runner starts one.
type execProgram struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	output io.ReadCloser
	done   chan struct{}
	err    error
}

func (p *execProgram) Pipes() (io.WriteCloser, io.ReadCloser) { return p.stdin, p.output }
func (p *execProgram) Done() <-chan struct{}                  { return p.done }
func (p *execProgram) Err() error {
	<-p.done
	return p.err
}
func (p *execProgram) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // its group, as the runner does
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
	}
}

// starter starts bash -c script per sale and keeps what it started.
type starter struct {
	t      *testing.T
	script string
	mu     sync.Mutex
	runs   []*execProgram
	args   [][]string
	env    [][]string
}

func (s *starter) start(args, env []string) (Program, error) {
	cmd := exec.Command("bash", append([]string{"-c", s.script, "oneshot"}, args...)...)
	cmd.Env = append(cmd.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, output, started, err := Pipes(cmd)
	if err != nil {
		return nil, err
	}
	err = cmd.Start()
	started()
	if err != nil {
		stdin.Close()
		output.Close()
		return nil, err
	}
	p := &execProgram{cmd: cmd, stdin: stdin, output: output, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.runs = append(s.runs, p)
	s.args = append(s.args, args)
	s.env = append(s.env, env)
	s.mu.Unlock()
	s.t.Cleanup(p.Kill)
	return p, nil
}

func perSaleLink(t *testing.T, script string) (*ProcessLink, *starter, *taps) {
	t.Helper()
	st := &starter{t: t, script: script}
	tp := &taps{}
	l, err := NewPerSale(st.start, mustProfile(t, oneShotProfile), tp.tap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	next(t, l, "READY synthesized=1")
	return l, st, tp
}

func sale(amount string) ecr.Message {
	return ecr.Message{Kind: ecr.Sale, Fields: []ecr.Field{{Key: "amount", Value: amount}, {Key: "currency", Value: "978"}, {Key: "ref", Value: "R7"}}}
}

// TestPerSaleLastLine: the program starts with the sale in its arguments,
// its prompt without a newline is read, the PIN goes to its stdin, and the
// result comes from its last line; then the terminal is READY again.
func TestPerSaleLastLine(t *testing.T) {
	l, st, tp := perSaleLink(t, oneShot)
	send(t, l, sale("100"))
	next(t, l, "DISPLAY text=AMOUNT 100")
	next(t, l, "DISPLAY text=ENTER PIN")
	send(t, l, ecr.Message{Kind: ecr.Key, Fields: []ecr.Field{{Key: "keys", Value: "9876E"}}})
	next(t, l, "RESULT dut_code=APPROVED auth=123456 code=APPROVED exit=0")
	next(t, l, "READY synthesized=1")
	tp.wait(t, "GOT 4 DIGITS")
	if got := strings.Join(st.args[0], " "); got != "100" {
		t.Errorf("program arguments %q, want the amount", got)
	}
	if strings.Contains(tp.all(), "9876") {
		t.Errorf("the PIN reached the tap:\n%s", tp.all())
	}
}

// TestPerSaleExitStatus: a program that prints no result is judged by its
// exit status, through exit_codes and codes.
func TestPerSaleExitStatus(t *testing.T) {
	l, _, _ := perSaleLink(t, oneShot)
	send(t, l, sale("200"))
	next(t, l, "DISPLAY text=AMOUNT 200")
	next(t, l, "RESULT dut_code=ERR_CHIP exit=3 code=CHIP_ERROR")
	next(t, l, "READY synthesized=1")
	// A second sale starts a second program.
	send(t, l, sale("200"))
	next(t, l, "DISPLAY text=AMOUNT 200")
	next(t, l, "RESULT dut_code=ERR_CHIP exit=3 code=CHIP_ERROR")
}

// TestPerSaleOwnResultWins: a RESULT the program printed is its result;
// its exit status adds no second one.
func TestPerSaleOwnResultWins(t *testing.T) {
	l, _, _ := perSaleLink(t, oneShot)
	send(t, l, sale("300"))
	next(t, l, "DISPLAY text=AMOUNT 300")
	next(t, l, "RESULT dut_code=DECLINED_BY_KERNEL code=DECLINED")
	next(t, l, "READY synthesized=1")
}

// TestPerSaleNoResult: an exit status the profile does not map gives no
// RESULT (the terminal lost it: the scenario judges that), only READY.
func TestPerSaleNoResult(t *testing.T) {
	l, _, tp := perSaleLink(t, oneShot)
	send(t, l, sale("400"))
	next(t, l, "DISPLAY text=AMOUNT 400")
	next(t, l, "READY synthesized=1")
	tp.wait(t, "no result")
}

// TestPerSaleEnv: the sale's fields reach the program's environment.
func TestPerSaleEnv(t *testing.T) {
	l, _, _ := perSaleLink(t, oneShot)
	send(t, l, sale("600"))
	next(t, l, "DISPLAY text=AMOUNT 600")
	next(t, l, "DISPLAY text=REF R7")
}

// TestPerSaleBusyAndKill: a sale while a program runs is answered BUSY
// and starts nothing; a power cut (KillProgram) and Restart end the
// program and the terminal is READY again; Close kills a running program.
func TestPerSaleBusyAndKill(t *testing.T) {
	l, st, _ := perSaleLink(t, oneShot)
	send(t, l, sale("500"))
	next(t, l, "DISPLAY text=AMOUNT 500")
	send(t, l, sale("100"))
	next(t, l, "BUSY synthesized=1")
	if n := len(st.runs); n != 1 {
		t.Fatalf("%d programs started, want 1", n)
	}
	l.Restart()
	select {
	case <-st.runs[0].Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Restart left the program running")
	}
	next(t, l, "READY synthesized=1")

	send(t, l, sale("500"))
	next(t, l, "DISPLAY text=AMOUNT 500")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.runs[1].Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Close left the program running")
	}
}

// TestPerSaleKeyWithoutProgram: a key press between sales is the
// terminal not taking input, not a hang.
func TestPerSaleKeyWithoutProgram(t *testing.T) {
	l, _, _ := perSaleLink(t, oneShot)
	err := l.Send(t.Context(), ecr.Message{Kind: ecr.Key, Fields: []ecr.Field{{Key: "keys", Value: "1E"}}})
	if !errors.Is(err, ErrInputClosed) || !errors.Is(err, ecr.ErrNoAck) {
		t.Errorf("KEY between sales: %v, want ErrInputClosed and ecr.ErrNoAck", err)
	}
}

// TestPerSaleProfileChecks: a per_sale profile that could never report a
// result, or maps an exit status onto no canonical code, is INVALID at
// its key.
func TestPerSaleProfileChecks(t *testing.T) {
	for name, tt := range map[string]struct{ edit, want string }{
		"SALE on stdin": {`send: {KEY: "{{.keys}}"`, "send.SALE: a per_sale firmware"},
		"unmapped exit": {`exit_codes: {3: ERR_CHIP}`, `exit status 4 is the firmware's code "LOST"`},
		"no result":     {`last_line: '^(?P<dut_code>APPROVED) AUTH (?P<auth>\d+)$'`, "no rule makes RESULT"},
		"last_line":     {`last_line: '^(?P<dut_code>APPROVED) AUTH (?P<auth>\d+)$'`, "last_line: capture the result"},
		"bad template":  {`args: ["{{.amount}}"]`, "args[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			doc := oneShotProfile
			switch name {
			case "SALE on stdin":
				doc = strings.Replace(doc, tt.edit, `send: {SALE: "sale", KEY: "{{.keys}}"`, 1)
			case "unmapped exit":
				doc = strings.Replace(doc, tt.edit, `exit_codes: {3: ERR_CHIP, 4: LOST}`, 1)
			case "no result":
				doc = strings.Replace(doc, tt.edit, "", 1)
				doc = strings.Replace(doc, "exit_codes: {3: ERR_CHIP}", "", 1)
				doc = strings.Replace(doc, "  - {match: '^RESULT (?P<dut_code>\\w+)', kind: RESULT}\n", "", 1)
			case "last_line":
				doc = strings.Replace(doc, tt.edit, `last_line: '^APPROVED AUTH (?P<auth>\d+)$'`, 1)
			case "bad template":
				doc = strings.Replace(doc, tt.edit, `args: ["{{.amont}}"]`, 1)
			}
			_, err := ParseProfile("p.yaml", []byte(doc))
			if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want INVALID with %q", err, tt.want)
			}
		})
	}
}
