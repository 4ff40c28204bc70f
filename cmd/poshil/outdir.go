package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/poshil/poshil/harness/junit"
	"github.com/poshil/poshil/harness/report"
)

// runOutputs are the files poshil run writes in --out; pcap/ is cleared
// by report.ClearPcaps.
var runOutputs = []string{junit.FileName, report.RecordFile, report.HTMLFile}

// prepareOut makes dir ready for one run's outputs before anything runs:
// it creates it (0777 less the umask), proves it writable, and removes the
// outputs of an earlier run, so the folder never mixes two runs. Other
// files in it are left alone. An error means the run must not start.
func prepareOut(dir string) error {
	if dir == "" {
		return errors.New("--out: empty folder name")
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".poshil-probe-")
	if err != nil {
		return fmt.Errorf("--out %s: not writable: %w", dir, err)
	}
	probe.Close()
	if err := os.Remove(probe.Name()); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	var errs []error
	for _, name := range runOutputs {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, report.ClearPcaps(dir))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("--out %s: removing the last run's outputs: %w", dir, err)
	}
	return nil
}
