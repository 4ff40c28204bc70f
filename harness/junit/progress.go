package junit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/verdict"
)

// Progress rewrites a run's junit.xml after every scenario (Write's bytes
// exactly) but scrubs and encodes each result's test case only once: a run
// of n scenarios costs O(n) encoding, not O(n²). It remembers the results
// it encoded by scenario, file and start time, and encodes again whatever
// differs (another run, another file, a result replaced). Its files are
// not synced to disk (outfile.WriteUnsynced): they survive poshil killed,
// not a power loss; the run's final junit.xml is WriteFile's. Safe for
// concurrent use.
type Progress struct {
	mu   sync.Mutex
	path string
	done []encodedCase
}

// encodedCase is one test case's XML as it sits in the file (indented for
// its depth, without the newline before it), and what it was made from.
type encodedCase struct {
	scenario, file string
	started        time.Time
	xml            []byte
}

// suiteClose ends the suite element when it has no cases; Write puts the
// cases before it.
const suiteClose = "></testsuite>"

// Write writes the results of suite to path, as WriteFile does. Results
// are scrubbed in place when first encoded, as Write scrubs them.
func (p *Progress) Write(path, suite string, rs []verdict.Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if path != p.path {
		p.path, p.done = path, nil
	}
	if len(rs) == 0 {
		p.done = nil
		return p.write(path, func(w io.Writer) error { return Write(w, suite, rs) })
	}
	keep := 0
	for keep < len(p.done) && keep < len(rs) && p.done[keep].is(&rs[keep]) {
		keep++
	}
	p.done = p.done[:keep]
	for i := keep; i < len(rs); i++ {
		r := &rs[i]
		r.Secrets.Walk(r)
		var b bytes.Buffer
		enc := xml.NewEncoder(&b)
		enc.Indent("    ", "  ") // a case's depth under testsuites and testsuite
		if err := enc.EncodeElement(testcase(suite, *r), xml.StartElement{Name: xml.Name{Local: "testcase"}}); err != nil {
			p.done = p.done[:i]
			return fmt.Errorf("%s: %w", path, err)
		}
		p.done = append(p.done, encodedCase{scenario: r.Scenario, file: r.File, started: r.Started, xml: b.Bytes()})
	}
	var skel bytes.Buffer
	if err := encode(&skel, suite, header(suite, rs)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	at := bytes.LastIndex(skel.Bytes(), []byte(suiteClose))
	if at < 0 {
		return fmt.Errorf("%s: %w", path, errors.New("junit: no suite element to put the cases in"))
	}
	return p.write(path, func(w io.Writer) error {
		var buf bytes.Buffer
		buf.Write(skel.Bytes()[:at])
		buf.WriteByte('>')
		for _, c := range p.done {
			buf.WriteByte('\n')
			buf.Write(c.xml)
		}
		buf.WriteString("\n  </testsuite>")
		buf.Write(skel.Bytes()[at+len(suiteClose):])
		_, err := w.Write(buf.Bytes())
		return err
	})
}

func (p *Progress) write(path string, write func(io.Writer) error) error {
	if err := outfile.WriteUnsynced(path, write); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// is reports whether c was encoded from a result like r.
func (c encodedCase) is(r *verdict.Result) bool {
	return c.scenario == r.Scenario && c.file == r.File && c.started.Equal(r.Started)
}
