package lease

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// dirOverride, when set (tests), replaces the default lock directory.
var (
	dirMu       sync.Mutex
	dirOverride string
)

// SetDir makes every later lease use dir (tests: a t.TempDir). The
// directory gets the same checks as the default one.
func SetDir(dir string) {
	dirMu.Lock()
	dirOverride = dir
	dirMu.Unlock()
}

// Dir is the lock directory: /run/poshil/locks for root, else
// $XDG_RUNTIME_DIR/poshil or /tmp/poshil-UID. It is created 0700 when
// missing and refused (ErrUnsafe) when it is a symlink, not the user's,
// or open to others.
func Dir() (string, error) {
	dirMu.Lock()
	dir := dirOverride
	dirMu.Unlock()
	if dir == "" {
		dir = defaultDir()
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("lease: lock directory: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("lease: lock directory: %w", err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("lease: lock directory: %w", err)
		}
	}
	if err := checkDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

func defaultDir() string {
	uid := unix.Geteuid()
	if uid == 0 {
		return "/run/poshil/locks"
	}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "poshil")
	}
	return filepath.Join(os.TempDir(), "poshil-"+strconv.Itoa(uid))
}

// checkDir refuses a directory another user could put files into.
func checkDir(dir string) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("lease: lock directory: %w", err)
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return fmt.Errorf("%w: lock directory %s is a symlink", ErrUnsafe, dir)
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("%w: lock directory %s is not a directory", ErrUnsafe, dir)
	case int(st.Uid) != unix.Geteuid():
		return fmt.Errorf("%w: lock directory %s belongs to uid %d", ErrUnsafe, dir, st.Uid)
	case st.Mode&0o077 != 0:
		return fmt.Errorf("%w: lock directory %s has mode %#o (want 0700)", ErrUnsafe, dir, st.Mode&0o777)
	}
	return nil
}
