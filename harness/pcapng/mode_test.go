package pcapng

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestWriteFileModeFollowsUmask: a trace is 0666 less the umask, like
// every other output of a run.
func TestWriteFileModeFollowsUmask(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "pcap", "a.pcapng")
	if err := WriteFile(p, time.Now(), nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o664 {
		t.Errorf("mode %v under umask 002, want 0664", st.Mode().Perm())
	}
}
