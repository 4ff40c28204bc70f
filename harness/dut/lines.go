package dut

import (
	"strings"
)

// maxLine bounds a printed line; a longer one is cut into pieces.
const maxLine = 4096

// splitter cuts a firmware's output bytes into lines. LF, CR and CRLF all
// end a line (CRLF makes an empty line, dropped like every empty line); a
// line reaching maxLine bytes is cut there.
type splitter struct {
	buf []byte
}

// feed takes the next bytes and returns the lines they complete, cleaned
// (empty lines are dropped), and how many of them were cut at maxLine.
func (s *splitter) feed(p []byte) (lines []string, cut int) {
	for _, c := range p {
		if c == '\n' || c == '\r' {
			if l := clean(s.buf); l != "" {
				lines = append(lines, l)
			}
			s.buf = s.buf[:0]
			continue
		}
		s.buf = append(s.buf, c)
		if len(s.buf) >= maxLine {
			if l := clean(s.buf); l != "" {
				lines = append(lines, l)
				cut++
			}
			s.buf = s.buf[:0]
		}
	}
	return lines, cut
}

// pending reports whether an unterminated line is waiting.
func (s *splitter) pending() bool { return len(s.buf) > 0 }

// rest returns the unterminated line, cleaned, and forgets it.
func (s *splitter) rest() (string, bool) {
	l := clean(s.buf)
	s.buf = s.buf[:0]
	return l, l != ""
}

// clean makes raw output text: ANSI escape sequences (colours, cursor
// moves) are removed, a tab becomes a space, other control characters are
// dropped, invalid UTF-8 becomes '?', and surrounding spaces are trimmed.
func clean(raw []byte) string {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == 0x1b: // ESC: skip a CSI sequence (ESC [ params final) or ESC + one byte
			if i+1 < len(raw) && raw[i+1] == '[' {
				j := i + 2
				for j < len(raw) && (raw[j] < 0x40 || raw[j] > 0x7e) {
					j++
				}
				i = j
			} else {
				i++
			}
		case c == '\t':
			b = append(b, ' ')
		case c < 0x20 || c == 0x7f:
		default:
			b = append(b, c)
		}
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "?"))
}
