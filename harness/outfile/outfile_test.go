package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestModeFollowsUmask: the file is 0666 less the umask, whatever the
// umask (os.CreateTemp alone would give 0600; a fixed chmod 0644).
func TestModeFollowsUmask(t *testing.T) {
	for _, mask := range []int{0o022, 0o077, 0o002} {
		old := syscall.Umask(mask)
		p := filepath.Join(t.TempDir(), "sub", "record.json")
		err := WriteFile(p, []byte("{}"))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := os.FileMode(0o666 &^ mask); st.Mode().Perm() != want {
			t.Errorf("umask %#o: mode %v, want %v", mask, st.Mode().Perm(), want)
		}
		dst, _ := os.Stat(filepath.Dir(p))
		if want := os.FileMode(0o777 &^ mask); dst.Mode().Perm() != want {
			t.Errorf("umask %#o: directory mode %v, want %v", mask, dst.Mode().Perm(), want)
		}
	}
}

// TestAllOrNothing: a failed write leaves the old file and no temporary.
func TestAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "junit.xml")
	if err := WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("file now %q, want the old one", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

// TestUnsyncedAllOrNothing: WriteUnsynced leaves the old file whole when
// the new one fails, as Write does, and replaces it when it succeeds.
func TestUnsyncedAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "record.json")
	if err := WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteUnsynced(p, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteUnsynced: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("file now %q, want the old one", b)
	}
	if err := WriteUnsynced(p, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("file now %q, want the new one", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
