package yamldoc

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// parserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these, yaml.v3 prints the 0-based line of its mark as if it
// were 1-based (it adds one for scanner errors only), so the line it
// names is one above the real one.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected key":              true,
	"did not find expected '-' indicator":    true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found undefined tag handle":             true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// tabProblem is a scanner problem yaml.v3 places at the start of the
// scalar it was scanning, not at the tab.
const tabProblem = "found a tab character that violates indentation"

// anchorName finds the anchor an alias error names ("unknown anchor 'x'
// referenced", "anchor 'x' value contains itself"); yaml.v3 gives those
// no line.
var anchorName = regexp.MustCompile(`anchor '([^']*)'`)

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into an
// Error at the problem's line in data. yaml.v3 gives no column: the
// column is the line's first non-blank character, except for an alias,
// which is found by name.
func syntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		var n int
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &n); scanErr == nil {
			line = n
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
	}
	lines := bytes.Split(data, []byte("\n"))
	col := 0
	switch {
	case blockProblems[msg]:
		line = blockLine(lines, line, msg)
	case flowOpeners[msg] != 0:
		line = flowLine(lines, line, flowOpeners[msg])
	case parserProblems[msg]:
		line++
	case msg == tabProblem && line > 0:
		for i := line - 1; i < len(lines); i++ {
			indent := lines[i][:len(lines[i])-len(bytes.TrimLeft(lines[i], " \t"))]
			if bytes.IndexByte(indent, '\t') >= 0 {
				line, col = i+1, bytes.IndexByte(indent, '\t')+1
				break
			}
		}
	case line == 0:
		if m := anchorName.FindStringSubmatch(msg); m != nil {
			line, col = findAlias(lines, m[1])
		}
	}
	if line < 1 {
		line = 1
	}
	if line > len(lines) {
		line = len(lines)
	}
	if col == 0 {
		l := lines[line-1]
		col = len(l) - len(bytes.TrimLeft(l, " \t")) + 1
	}
	return &Error{Pos: Pos{File: file, Line: line, Col: col}, Msg: "YAML syntax: " + msg}
}

// blockProblems are the parser problems of a block collection, reported
// at the line where the collection starts rather than where it goes wrong.
var blockProblems = map[string]bool{
	"did not find expected key":           true,
	"did not find expected '-' indicator": true,
}

// flowOpeners are the parser problems of a flow collection that does not
// close, with the bracket that opened it.
var flowOpeners = map[string]byte{
	"did not find expected ',' or ']'": '[',
	"did not find expected ',' or '}'": '{',
}

// flowLine is the line where an unclosed flow collection opens. yaml.v3
// names it (0-based) unless it is the file's first line, where it names
// the problem's line instead (the end of the file, often): then the line
// it names leaves no bracket open, and the collection opened on line 1.
func flowLine(lines [][]byte, reported int, open byte) int {
	line := reported + 1
	if (line > len(lines) || !leavesOpen(lines[line-1], open)) && leavesOpen(lines[0], open) {
		return 1
	}
	return line
}

// leavesOpen reports whether l opens more brackets of its kind than it
// closes.
func leavesOpen(l []byte, open byte) bool {
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	return bytes.Count(l, []byte{open}) > bytes.Count(l, []byte{closer})
}

// blockLine maps the line yaml.v3 gives for a block collection's problem
// (the 0-based line of the collection when it does not start the file,
// else of the problem) onto the 1-based line of the problem. The rest of the file
// from the collection's line is parsed again on its own: there the
// collection starts on line 0, so yaml.v3 names the problem's own line.
func blockLine(lines [][]byte, reported int, msg string) int {
	line := reported + 1
	if line <= 1 || line > len(lines) {
		return line
	}
	var n yaml.Node
	err := yaml.Unmarshal(bytes.Join(lines[line-1:], []byte("\n")), &n)
	if err == nil {
		return line
	}
	rest := strings.TrimPrefix(err.Error(), "yaml: ")
	off := 0
	if strings.HasPrefix(rest, "line ") {
		if _, scanErr := fmt.Sscanf(rest, "line %d:", &off); scanErr != nil {
			return line
		}
		rest = strings.TrimSpace(rest[strings.Index(rest, ":")+1:])
	}
	if rest != msg {
		return line
	}
	return line + off
}

// findAlias is the place of the first alias *name in lines, or 0, 0.
func findAlias(lines [][]byte, name string) (line, col int) {
	ref := []byte("*" + name)
	for i, l := range lines {
		for off := 0; ; {
			j := bytes.Index(l[off:], ref)
			if j < 0 {
				break
			}
			end := off + j + len(ref)
			if end == len(l) || bytes.IndexByte([]byte(" \t,]}\r#"), l[end]) >= 0 {
				return i + 1, off + j + 1
			}
			off = end
		}
	}
	return 0, 0
}
