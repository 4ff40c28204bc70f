package vpcd

import (
	"os"
	"testing"
)

// TestMain keeps the lock files of the fake vpcd's random ports out of
// the shared temp dir.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vpcd-test-locks")
	if err != nil {
		panic(err)
	}
	lockDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
