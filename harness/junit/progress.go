package junit

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/verdict"
)

// Progress rewrites a run's junit.xml after every scenario (Write's bytes
// exactly) but scrubs and encodes each result's test case only once
// (verdict.Encodings). Its files are not synced to disk
// (outfile.WriteUnsynced): they survive poshil killed, not a power loss;
// the run's final junit.xml is WriteFile's. Safe for concurrent use.
type Progress struct {
	mu  sync.Mutex
	enc verdict.Encodings
}

// suiteClose ends the suite element when it has no cases; Write puts the
// cases before it.
const suiteClose = "></testsuite>"

// Write writes the results of suite to path, as WriteFile does. Results
// are scrubbed in place when first encoded, as Write scrubs them.
func (p *Progress) Write(path, suite string, rs []verdict.Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	done, err := p.enc.Update(path, rs, func(r *verdict.Result) ([]byte, error) {
		var b bytes.Buffer
		enc := xml.NewEncoder(&b)
		enc.Indent("    ", "  ") // a case's depth under testsuites and testsuite
		err := enc.EncodeElement(testcase(suite, *r), xml.StartElement{Name: xml.Name{Local: "testcase"}})
		return b.Bytes(), err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(rs) == 0 {
		return p.write(path, func(w io.Writer) error { return Write(w, suite, rs) })
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
		buf := bufio.NewWriterSize(w, 64<<10)
		buf.Write(skel.Bytes()[:at])
		buf.WriteByte('>')
		for _, c := range done {
			buf.WriteByte('\n')
			buf.Write(c)
		}
		buf.WriteString("\n  </testsuite>")
		buf.Write(skel.Bytes()[at+len(suiteClose):])
		return buf.Flush()
	})
}

func (p *Progress) write(path string, write func(io.Writer) error) error {
	if err := outfile.WriteUnsynced(path, write); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
