package vpcd

import (
	"os"
	"testing"

	"github.com/poshil/poshil/harness/lease"
)

// TestMain keeps the lock files of the fake vpcd's random ports out of
// the user's lock directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vpcd-test-locks")
	if err != nil {
		panic(err)
	}
	lease.SetDir(dir + "/locks")
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
