// Package outfile writes the files a run leaves for the user (record.json,
// junit.xml, report.html, pcapng traces) one way: whole or not at all
// (a temporary file renamed over the target), mode 0666 less the umask
// like any file a program creates, in directories 0777 less the umask.
package outfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Write creates path with what write writes, atomically: a reader (or a
// kill -9) sees the old file or the new one, never half of one. The data
// reaches the disk (fsync) before the file takes the path's place.
func Write(path string, write func(io.Writer) error) error {
	return replace(path, write, true)
}

// WriteUnsynced is Write without the fsync: readers and a kill -9 still
// see the old file or the new one (the kernel holds what was written), but
// a machine that loses power may lose the new one. It is for a file
// rewritten after every scenario whose final copy is written with Write
// (a run's progress), where an fsync each time costs more than the
// scenarios it records.
func WriteUnsynced(path string, write func(io.Writer) error) error {
	return replace(path, write, false)
}

// replace writes through a temporary file renamed over path, syncing it
// first when sync is set.
func replace(path string, write func(io.Writer) error, sync bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	f, err := createTemp(dir, "."+filepath.Base(path)+".")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// WriteFile is Write of data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// createTemp is os.CreateTemp with mode 0666 (os.CreateTemp uses 0600),
// so the umask alone decides who may read the renamed file.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("outfile: no free temporary name in %s", dir)
}
