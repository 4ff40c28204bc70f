package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/poshil/poshil/harness/pcapng"
)

// PcapDir is where WritePcaps puts traces, relative to the record.
const PcapDir = "pcap"

// WritePcaps writes each scenario's APDUs and host messages as pcapng
// under outDir/pcap/ (one file per scenario that has any) and sets the
// result's Evidence.Pcap to the path relative to outDir, so the HTML
// report links it. Every file is attempted; the errors are joined.
// Each trace is scrubbed with its result's secrets (pcapng.WriteTrace).
// Traces already in outDir/pcap/ are removed first (ClearPcaps): the folder
// holds this record's traces and no other.
func WritePcaps(outDir string, r *Record) error {
	var errs []error
	if err := ClearPcaps(outDir); err != nil {
		errs = append(errs, err)
	}
	for i := range r.Results {
		res := &r.Results[i]
		ev := res.Evidence
		if ev == nil || (len(ev.APDUs) == 0 && len(ev.Host) == 0) {
			continue
		}
		rel := filepath.Join(PcapDir, fmt.Sprintf("%03d-%s.pcapng", i+1, slug(res.Scenario)))
		if err := pcapng.WriteFile(filepath.Join(outDir, rel), res.Started, ev.APDUs, ev.Host, res.Secrets); err != nil {
			errs = append(errs, err)
			continue
		}
		ev.Pcap = filepath.ToSlash(rel)
	}
	return errors.Join(errs...)
}

// Rebase makes r's trace links, relative to from (the folder r was read
// from), relative to to (the folder of the record or report made from
// it), so a merged record or its HTML report still opens every shard's
// traces where they are. A link that cannot be made relative becomes
// absolute.
func (r *Record) Rebase(from, to string) {
	for i := range r.Results {
		ev := r.Results[i].Evidence
		if ev == nil || ev.Pcap == "" || filepath.IsAbs(ev.Pcap) {
			continue
		}
		target, err := filepath.Abs(filepath.Join(from, filepath.FromSlash(ev.Pcap)))
		if err != nil {
			continue
		}
		base, err := filepath.Abs(to)
		if err != nil {
			ev.Pcap = target
			continue
		}
		rel, err := filepath.Rel(base, target)
		if err != nil {
			ev.Pcap = target
			continue
		}
		ev.Pcap = filepath.ToSlash(rel)
	}
}

// ClearPcaps removes the pcapng traces under outDir/pcap/ (the folder too
// when nothing else is left in it); a missing folder is not an error.
func ClearPcaps(outDir string) error {
	dir := filepath.Join(outDir, PcapDir)
	old, err := filepath.Glob(filepath.Join(dir, "*.pcapng"))
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range old {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%w: %w", ErrWrite, err))
		}
	}
	_ = os.Remove(dir) // only when empty
	return errors.Join(errs...)
}

// slug makes a file name from a scenario name: lower case letters and
// digits, runs of anything else as one '-', at most 60 characters.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		return "scenario"
	}
	return s
}

// Files written by WriteAll, relative to its directory.
const (
	RecordFile = "record.json"
	HTMLFile   = "report.html"
)

// WriteAll writes a run's outputs to dir: the pcapng traces (setting each
// result's Evidence.Pcap), then record.json and report.html. It tries all
// three and joins the errors; a trace that cannot be written does not stop
// the record.
func WriteAll(dir string, r *Record) error {
	errs := []error{WritePcaps(dir, r)}
	errs = append(errs, WriteFile(filepath.Join(dir, RecordFile), *r))
	errs = append(errs, WriteHTMLFile(filepath.Join(dir, HTMLFile), *r))
	return errors.Join(errs...)
}
