package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/verdict"
)

// Progress rewrites a run's record after every scenario (WriteFile's
// bytes exactly) but scrubs and encodes each result only once: a run of n
// scenarios costs O(n) encoding, not O(n²). It remembers the results it
// encoded by scenario, file and start time, and encodes again whatever
// differs (another run, another file, a result replaced). Safe for
// concurrent use.
type Progress struct {
	mu   sync.Mutex
	path string
	done []encoded
}

// encoded is one result's JSON as it sits in the record, and what it was.
type encoded struct {
	scenario, file string
	started        time.Time
	json           []byte
}

// Write writes the record of run with results rs to path (atomically, as
// WriteFile, but not synced to disk: it survives poshil killed, not a
// power loss; the final record is WriteFile's). Results are scrubbed in place when first encoded, as
// WriteFile scrubs them.
func (p *Progress) Write(path string, run Run, rs []verdict.Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if path != p.path {
		p.path, p.done = path, nil
	}
	keep := 0
	for keep < len(p.done) && keep < len(rs) && p.done[keep].is(&rs[keep]) {
		keep++
	}
	p.done = p.done[:keep]
	for i := keep; i < len(rs); i++ {
		r := &rs[i]
		r.Secrets.Walk(r)
		b, err := json.MarshalIndent(r, "    ", "  ")
		if err != nil {
			p.done = p.done[:i]
			return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
		}
		p.done = append(p.done, encoded{scenario: r.Scenario, file: r.File, started: r.Started, json: b})
	}
	(*secrets.Scrubber)(nil).Walk(&run)
	head, err := json.MarshalIndent(run, "  ", "  ")
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	var buf bytes.Buffer
	buf.WriteString("{\n  \"run\": ")
	buf.Write(head)
	buf.WriteString(",\n  \"results\": ")
	switch {
	case rs == nil:
		buf.WriteString("null")
	case len(rs) == 0:
		buf.WriteString("[]")
	default:
		buf.WriteString("[\n")
		for i, e := range p.done {
			buf.WriteString("    ")
			buf.Write(e.json)
			if i < len(p.done)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString("  ]")
	}
	buf.WriteString("\n}\n")
	// Not synced: this copy is for a poshil stopped or killed mid-run;
	// the record written at the end (WriteFile) is.
	if err := outfile.WriteUnsynced(path, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	return nil
}

// is reports whether e was encoded from a result like r.
func (e encoded) is(r *verdict.Result) bool {
	return e.scenario == r.Scenario && e.file == r.File && e.started.Equal(r.Started)
}
