// Package yamldoc decodes the YAML files a user writes (scenarios, benches,
// profiles) strictly and with positions: an unknown key, a wrong type or a bad
// value is reported as file:line:col with the keys that would have been
// accepted. It walks yaml.v3 nodes itself so that every error carries the
// column, bounds alias expansion and file size against hostile input, and
// collects every error of a file rather than stopping at the first.
//
// It is not a schema language: the Go types are the schema. A type checks its
// own values by implementing yaml.Unmarshaler (called at its node, errors get
// that node's position) or Checker.
package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a file before it is parsed.
const MaxFileSize = 4 << 20

// maxNodes bounds the nodes visited while decoding, aliases expanded.
const maxNodes = 200_000

// maxErrors bounds how many errors one file reports.
const maxErrors = 50

// ErrInvalid is wrapped by every error this package returns, so callers can
// classify input errors with errors.Is.
var ErrInvalid = errors.New("invalid input")

// Pos is a place in a file, 1-based.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one problem at one place.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap makes every Error an ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Errors is every problem found in one file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As see each Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Checker is implemented by types that validate themselves after decoding.
// n is the node the value was decoded from, for positions.
type Checker interface {
	Check(n *yaml.Node) error
}

// ReadFile reads path within MaxFileSize and decodes it into v.
func ReadFile(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return &Error{Pos: Pos{File: path}, Msg: err.Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &Error{Pos: Pos{File: path}, Msg: err.Error()}
	}
	if st.Size() > MaxFileSize {
		return &Error{Pos: Pos{File: path, Line: 1, Col: 1},
			Msg: fmt.Sprintf("file is %d bytes, larger than the %d-byte limit", st.Size(), MaxFileSize)}
	}
	buf := make([]byte, st.Size()+1)
	n, _ := readFull(f, buf)
	if n > MaxFileSize {
		return &Error{Pos: Pos{File: path, Line: 1, Col: 1}, Msg: "file grew past the size limit while read"}
	}
	return Decode(path, buf[:n], v)
}

func readFull(f *os.File, buf []byte) (int, error) {
	total := 0
	for total < len(buf) {
		n, err := f.Read(buf[total:])
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Decode decodes data (named file in errors) strictly into v, a pointer.
func Decode(file string, data []byte, v any) error {
	if len(data) > MaxFileSize {
		return &Error{Pos: Pos{File: file, Line: 1, Col: 1},
			Msg: fmt.Sprintf("document is %d bytes, larger than the %d-byte limit", len(data), MaxFileSize)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty document"}
		}
		return syntaxError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return &Error{Pos: Pos{File: file, Line: extra.Line, Col: extra.Column}, Msg: "more than one YAML document in the file"}
	}
	d := &decoder{file: file}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d.value(root, v)
	if len(d.errs) > 0 {
		return d.errs
	}
	return nil
}

// DecodeNode decodes n strictly into v, for UnmarshalYAML methods that want
// the same strictness for their inner parts. Errors carry n's positions but
// no file name: the outer Decode adds it.
func DecodeNode(n *yaml.Node, v any) error {
	d := &decoder{}
	d.value(n, v)
	if len(d.errs) > 0 {
		return d.errs
	}
	return nil
}

// At returns an error at n's position; the file is filled in by Decode.
func At(n *yaml.Node, format string, args ...any) error {
	return &Error{Pos: Pos{Line: n.Line, Col: n.Column}, Msg: fmt.Sprintf(format, args...)}
}

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into an
// Error with a position; yaml.v3 gives no column for syntax errors, so the
// column is 1.
func syntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if strings.HasPrefix(msg, "line ") {
		var n int
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &n); scanErr == nil {
			line = n
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
	}
	return &Error{Pos: Pos{File: file, Line: line, Col: 1}, Msg: "YAML syntax: " + msg}
}
