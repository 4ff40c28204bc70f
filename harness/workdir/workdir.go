// Package workdir makes a run's work folder (scratch files of the bench and
// its DUT) and cleans what a killed run left behind.
//
// A folder is made 0700 in the temp directory, holds a lease (package
// lease) for as long as its run lives, and records the run (run.json: pid,
// start). Every DUT process gets EnvVar naming its folder. A new run first
// looks for folders of its user whose lease is free: their run is dead.
// It kills the processes still marked with such a folder (a DUT and its
// children), removes the folder and says so. The card slot and the other
// bench leases of a dead run need no cleaning: the kernel dropped them
// with the process.
package workdir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/lease"
)

// EnvVar is set in every DUT process's environment to its folder, so a
// later run can find the processes of a dead one.
const EnvVar = "POSHIL_RUN"

// pattern names work folders in the temp directory.
const pattern = "poshil-bench-"

// runFile records the run in its folder.
const runFile = "run.json"

// Run is what a folder says about its run.
type Run struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// Dir is a live run's work folder.
type Dir struct {
	path  string
	lease *lease.Lease
}

// New makes this run's folder after cleaning the folders of dead runs
// (each cleanup is reported through notice).
func New(notice func(string)) (*Dir, error) {
	CleanStale(notice)
	path, err := os.MkdirTemp("", pattern+"*")
	if err != nil {
		return nil, err
	}
	k, err := lease.Workdir(path)
	var l *lease.Lease
	if err == nil {
		l, err = lease.Try(k)
	}
	if err == nil {
		var data []byte
		data, err = json.Marshal(Run{PID: os.Getpid(), Started: time.Now().UTC()})
		if err == nil {
			err = os.WriteFile(filepath.Join(path, runFile), data, 0o600)
		}
	}
	if err != nil {
		l.Release()
		_ = os.RemoveAll(path)
		return nil, err
	}
	return &Dir{path: path, lease: l}, nil
}

// Path is the folder.
func (d *Dir) Path() string { return d.path }

// Remove deletes the folder, then frees its lease. It is idempotent.
func (d *Dir) Remove() error {
	if d == nil || d.lease == nil {
		return nil
	}
	err := os.RemoveAll(d.path)
	d.lease.Release()
	d.lease = nil
	return err
}

// CleanStale removes the folders of dead runs of this user and kills
// their marked processes, reporting each through notice. A folder without
// run.json is left alone (a run still making it, or an older poshil).
func CleanStale(notice func(string)) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), pattern+"*"))
	for _, path := range matches {
		if msg, ok := cleanOne(path); ok {
			notice(msg)
		}
	}
}

// cleanOne cleans path if its run is dead.
func cleanOne(path string) (string, bool) {
	st, err := os.Lstat(path)
	if err != nil || !st.IsDir() || !ownedByMe(st) {
		return "", false
	}
	data, err := os.ReadFile(filepath.Join(path, runFile))
	if err != nil {
		return "", false
	}
	k, err := lease.Workdir(path)
	if err != nil {
		return "", false
	}
	l, err := lease.Try(k)
	if err != nil {
		return "", false // alive (or a lock we may not take): not ours to clean
	}
	defer l.Release()
	var r Run
	_ = json.Unmarshal(data, &r)
	killed := killMarked(path)
	rmErr := os.RemoveAll(path)
	msg := fmt.Sprintf("poshil: cleaned up after a killed run (pid %d, started %s):", r.PID, r.Started.Format(time.RFC3339))
	if len(killed) > 0 {
		msg += fmt.Sprintf(" killed its DUT process(es) %v;", killed)
	}
	if rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		msg += fmt.Sprintf(" could not remove %s: %v", path, rmErr)
	} else {
		msg += " removed " + path
	}
	return msg, true
}

// marked reports whether environ (NUL-separated) names dir or a folder in it.
func marked(environ []byte, dir string) bool {
	for _, kv := range strings.Split(string(environ), "\x00") {
		v, ok := strings.CutPrefix(kv, EnvVar+"=")
		if ok && (v == dir || strings.HasPrefix(v, dir+"/")) {
			return true
		}
	}
	return false
}
