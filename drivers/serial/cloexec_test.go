package serial

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPTYMasterNotInherited: a child process started while a PTY is open
// holds no descriptor of its master (/dev/ptmx): a DUT that inherited it
// would outlive a killed poshil with the line in its hands.
func TestPTYMasterNotInherited(t *testing.T) {
	p, err := NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := exec.Command("sh", "-c", "ls -l /proc/$$/fd").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.Contains(string(out), "ptmx") || strings.Contains(string(out), p.Path()) {
		t.Errorf("the child inherited the pty:\n%s", out)
	}
}
