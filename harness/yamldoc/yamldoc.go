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
	"io"
	"os"
	"sort"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a file before it is parsed.
const MaxFileSize = 4 << 20

// maxNodes bounds the nodes visited while decoding, aliases expanded.
const maxNodes = 200_000

// maxAliases bounds the aliases followed while decoding.
const maxAliases = 1000

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
	// Err, when set, is a cause callers may test with errors.Is (such as
	// ErrNotRegular); Msg already says it.
	Err error
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap makes every Error an ErrInvalid, and its Err.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalid, e.Err}
	}
	return []error{ErrInvalid}
}

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

// ReadFile reads path (see Read) and decodes it into v.
func ReadFile(path string, v any) error {
	data, err := Read(path)
	if err != nil {
		return err
	}
	return Decode(path, data, v)
}

// Stdin is the file name Read takes as standard input.
const Stdin = "-"

// ErrNotRegular is wrapped by the error Read returns for a FIFO, device,
// socket or directory: such a file may never end, or can be read only once.
var ErrNotRegular = errors.New("not a regular file")

// Read reads path once, within MaxFileSize, and never waits for a writer:
// Stdin ("-") is standard input, read once up to the limit; any other
// name must be a regular file. The file is opened with O_NONBLOCK, so a
// FIFO with no writer is refused at once instead of blocking in open(2),
// and the type is taken from the opened descriptor (no race between a
// stat and the open).
func Read(path string) ([]byte, error) {
	at := func(format string, args ...any) error {
		return &Error{Pos: Pos{File: path, Line: 1, Col: 1}, Msg: fmt.Sprintf(format, args...)}
	}
	if path == Stdin {
		return readLimited(os.Stdin, at)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &Error{Pos: Pos{File: path}, Msg: err.Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{Pos: Pos{File: path}, Msg: err.Error()}
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{Pos: Pos{File: path}, Err: ErrNotRegular,
			Msg: fmt.Sprintf("%v (%s): give a regular file, or %q to read standard input", ErrNotRegular, kindOf(st.Mode()), Stdin)}
	}
	if st.Size() > MaxFileSize {
		return nil, at("file is %d bytes, larger than the %d-byte limit", st.Size(), MaxFileSize)
	}
	return readLimited(f, at)
}

// kindOf names a file type that is not regular.
func kindOf(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// readLimited reads r to its end, refusing more than MaxFileSize bytes.
func readLimited(r io.Reader, at func(string, ...any) error) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, at("%v", err)
	}
	if len(data) > MaxFileSize {
		return nil, at("more than the %d-byte limit", MaxFileSize)
	}
	return data, nil
}

// Decode decodes data (named file in errors) strictly into v, a pointer.
func Decode(file string, data []byte, v any) error {
	root, err := Parse(file, data)
	if err != nil {
		return err
	}
	return DecodeDoc(file, root, v)
}

// Parse parses data (named file in errors) into its one document's root
// node, within the size and value bounds (see MaxFileSize, MaxValues),
// without decoding it: for callers that look at a document before
// choosing what to decode it into (DecodeDoc).
func Parse(file string, data []byte) (*yaml.Node, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1},
			Msg: fmt.Sprintf("document is %d bytes, larger than the %d-byte limit", len(data), MaxFileSize)}
	}
	if pos, ok := tooManyValues(data); !ok {
		return nil, &Error{Pos: Pos{File: file, Line: pos.Line, Col: pos.Col},
			Msg: fmt.Sprintf("more than %d YAML values in one file", MaxValues)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty document"}
		}
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Pos: Pos{File: file, Line: extra.Line, Col: extra.Column}, Msg: "more than one YAML document in the file"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return root, nil
}

// DecodeDoc decodes a root node from Parse strictly into v, a pointer;
// errors are named file and sorted by place.
func DecodeDoc(file string, root *yaml.Node, v any) error {
	d := &decoder{file: file}
	d.value(root, v)
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i].Pos, d.errs[j].Pos
			return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
		})
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
// A nil n leaves the position to the decoder: the node being checked.
func At(n *yaml.Node, format string, args ...any) error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Pos = Pos{Line: n.Line, Col: n.Column}
	}
	return e
}
