package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/verdict"
)

// Progress rewrites a run's record after every scenario (WriteFile's
// bytes exactly) but scrubs and encodes each result only once
// (verdict.Encodings). Safe for concurrent use.
type Progress struct {
	mu  sync.Mutex
	enc verdict.Encodings
}

// Write writes the record of run with results rs to path (atomically, as
// WriteFile, but not synced to disk: it survives poshil killed, not a
// power loss; the final record is WriteFile's). Results are scrubbed in
// place when first encoded, as WriteFile scrubs them.
func (p *Progress) Write(path string, run Run, rs []verdict.Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	done, err := p.enc.Update(path, rs, func(r *verdict.Result) ([]byte, error) { return json.MarshalIndent(r, "    ", "  ") })
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	(*secrets.Scrubber)(nil).Walk(&run)
	head, err := json.MarshalIndent(run, "  ", "  ")
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	// Straight to the file through a buffer of its own: the record grows
	// to megabytes, and a copy of it in memory each time cost more than
	// the write.
	write := func(w io.Writer) error {
		buf := bufio.NewWriterSize(w, 256<<10)
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
			for i, e := range done {
				buf.WriteString("    ")
				buf.Write(e)
				if i < len(done)-1 {
					buf.WriteByte(',')
				}
				buf.WriteByte('\n')
			}
			buf.WriteString("  ]")
		}
		buf.WriteString("\n}\n")
		return buf.Flush()
	}
	// Not synced: this copy is for a poshil stopped or killed mid-run;
	// the record written at the end (WriteFile) is.
	if err := outfile.WriteUnsynced(path, write); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	return nil
}
