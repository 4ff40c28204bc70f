// Package report turns a run's record (out/record.json) into what people
// read: a single self-contained HTML page (summary, filters by label and
// verdict, each scenario's failure reason first, then its timeline of ECR
// messages, APDUs, host messages, faults and power, and its measurements),
// pcapng traces per scenario, and merges of records from CI shards.
//
// The record is the source; every format is made from it.
// It does not run scenarios or decide verdicts. Evidence is masked before
// it is recorded (packages evidence and secrets); every writer here scrubs
// the record once more, last, with each result's secrets (Scrub).
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/buildinfo"
	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/verdict"
)

// MaxRecordSize bounds a record file read from disk.
const MaxRecordSize = 1 << 30

// ErrRecord is wrapped by errors about a record file that cannot be read
// or is not a record.
var ErrRecord = errors.New("report: bad record")

// ErrWrite is wrapped by errors writing a report or record.
var ErrWrite = errors.New("report: cannot write")

// Record is one run: a header and every scenario's result. It is the JSON
// written to out/record.json; a record with only {"results": [...]} (as
// written before the header existed) reads too.
type Record struct {
	Run     Run              `json:"run"`
	Results []verdict.Result `json:"results"`
}

// Run describes how and where a run happened.
type Run struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Bench is the bench's name; Host the machine the harness ran on.
	Bench string `json:"bench,omitempty"`
	Host  string `json:"host,omitempty"`
	// Version is poshil's version (module version or VCS revision,
	// buildinfo.Info.Short); Revision the full VCS revision it was built
	// from ("+dirty" when the tree was modified), if known.
	Version  string `json:"poshil_version,omitempty"`
	Revision string `json:"poshil_revision,omitempty"`
	// LabelFilter is the --label-filter of the run, if any.
	LabelFilter string `json:"label_filter,omitempty"`
	// Mutants are the reference terminal's deliberate bugs the run
	// started it with (--mutant), if any.
	Mutants []string `json:"mutants,omitempty"`
	// Shard is this run's --shard k/n, if any.
	Shard string `json:"shard,omitempty"`
	// Shards are the runs a merged record was made from.
	Shards []Run `json:"shards,omitempty"`
}

// NewRun starts a run header now on bench, with this host, poshil's
// version and revision, the label filter and the mutants.
func NewRun(bench, labelFilter string, mutants []string) Run {
	host, _ := os.Hostname()
	bi := buildinfo.Read()
	rev := bi.Revision
	if rev != "" && bi.Modified {
		rev += "+dirty"
	}
	return Run{Started: time.Now(), Bench: bench, Host: host, Version: bi.Short(), Revision: rev,
		LabelFilter: labelFilter, Mutants: slices.Clone(mutants)}
}

// Parse decodes a record; name is the file for errors.
func Parse(name string, data []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("%w: %s: %w", ErrRecord, name, err)
	}
	if r.Results == nil && !strings.Contains(string(data), `"results"`) {
		return Record{}, fmt.Errorf("%w: %s: no \"results\": not a poshil record", ErrRecord, name)
	}
	return r, nil
}

// ReadFile reads and decodes a record file.
func ReadFile(path string) (Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
	if err != nil {
		return Record{}, fmt.Errorf("%w: %s: %w", ErrRecord, path, err)
	}
	if len(data) > MaxRecordSize {
		return Record{}, fmt.Errorf("%w: %s: larger than %d bytes", ErrRecord, path, MaxRecordSize)
	}
	return Parse(path, data)
}

// Scrub masks r in place, last thing before any output is written: each
// result with the secrets its run put on the bench (Result.Secrets), and
// unknown card data everywhere (secrets.MaskText).
func Scrub(r *Record) {
	(*secrets.Scrubber)(nil).Walk(&r.Run)
	for i := range r.Results {
		r.Results[i].Secrets.Walk(&r.Results[i])
	}
}

// WriteFile writes r as indented JSON to path, through a temporary file so
// a reader never sees half a record. r is scrubbed first (Scrub).
func WriteFile(path string, r Record) error {
	Scrub(&r)
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	return writeAtomic(path, append(data, '\n'))
}

// writeAtomic writes data to path whole or not at all, mode 0666 less
// the umask.
func writeAtomic(path string, data []byte) error {
	if err := outfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	return nil
}

// Merge joins records (CI shards, reruns) into one: results in the order
// given, the header spanning them all (earliest start, latest finish,
// benches and hosts listed) with each input's header under Shards.
func Merge(records ...Record) Record {
	var out Record
	var benches, hosts, versions, revisions, filters, mutants []string
	addUnique := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, r := range records {
		out.Results = append(out.Results, r.Results...)
		shards := r.Run.Shards
		if len(shards) == 0 {
			shards = []Run{r.Run}
		}
		out.Run.Shards = append(out.Run.Shards, shards...)
		if s := r.Run.Started; !s.IsZero() && (out.Run.Started.IsZero() || s.Before(out.Run.Started)) {
			out.Run.Started = s
		}
		if f := r.Run.Finished; f.After(out.Run.Finished) {
			out.Run.Finished = f
		}
		addUnique(&benches, r.Run.Bench)
		addUnique(&hosts, r.Run.Host)
		addUnique(&versions, r.Run.Version)
		addUnique(&revisions, r.Run.Revision)
		for _, m := range r.Run.Mutants {
			addUnique(&mutants, m)
		}
		addUnique(&filters, r.Run.LabelFilter)
	}
	out.Run.Bench = strings.Join(benches, ", ")
	out.Run.Host = strings.Join(hosts, ", ")
	out.Run.Version = strings.Join(versions, ", ")
	out.Run.Revision = strings.Join(revisions, ", ")
	out.Run.Mutants = mutants
	out.Run.LabelFilter = strings.Join(filters, " | ")
	if out.Results == nil {
		out.Results = []verdict.Result{}
	}
	return out
}
