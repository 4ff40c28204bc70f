package dut

import (
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Pipes prepares cmd, before cmd.Start, for NewProcess or Attach: its
// stdin becomes one pipe, its stdout and stderr share another (so lines
// arrive in the order the program printed them). After cmd.Start,
// successful or not, call started: it closes the program's ends in this
// process, without which the output never ends. The returned ends are the
// link's; if Start fails, close them.
//
// Do not use cmd.StdoutPipe for a ProcessLink: cmd.Wait closes it and may
// lose the last lines the program printed (its RESULT).
func Pipes(cmd *exec.Cmd) (stdin io.WriteCloser, output io.ReadCloser, started func(), err error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dut: stdin pipe: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, nil, nil, fmt.Errorf("dut: output pipe: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	return inW, outR, func() {
		inR.Close()
		outW.Close()
	}, nil
}
