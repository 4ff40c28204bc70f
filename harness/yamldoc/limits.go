package yamldoc

// MaxValues bounds how many YAML values (scalars, lists, mappings,
// aliases) one file may hold before it is parsed: yaml.v3 builds a node of
// a few hundred bytes for each, so a 4 MiB file of one-character values
// would take gigabytes. Scenario and bench files hold hundreds.
const MaxValues = 100_000

// tooManyValues counts, in one pass over data, an upper estimate of the
// values yaml.v3 would build: every plain word, quoted string, alias and
// flow bracket, skipping comments. It returns false, with the place where
// the count passed MaxValues, when data holds too many.
//
// Quotes are followed to the end of their line only, so a quote that opens
// in a block scalar cannot hide the rest of the file from the count; a
// quoted string that spans lines is counted once per line, an
// over-estimate.
func tooManyValues(data []byte) (Pos, bool) {
	count, line, lineStart := 0, 1, 0
	tokenStart := true // at the start of a line or after a blank or an indicator
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n':
			line, lineStart, tokenStart = line+1, i+1, true
			continue
		case c == ' ' || c == '\t' || c == '\r':
			tokenStart = true
			continue
		case !tokenStart:
			// inside a word: a flow indicator ends it
			if isFlow(c) {
				tokenStart = true
				if c == '[' || c == '{' {
					count++
				}
			}
		case c == '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
			continue
		case c == '"' || c == '\'':
			count++
			i = skipQuoted(data, i)
			tokenStart = false
		default:
			// a word, a bracket, or an indicator (- : ? ,) that may stand
			// for an empty value of its own
			if c != ']' && c != '}' {
				count++
			}
			tokenStart = isFlow(c) || c == '-' || c == ':' || c == '?'
		}
		if count > MaxValues {
			return Pos{Line: line, Col: i - lineStart + 1}, false
		}
	}
	return Pos{}, true
}

func isFlow(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'
}

// skipQuoted returns the index of the quote closing the string opened at
// data[i], or of the last byte of its line.
func skipQuoted(data []byte, i int) int {
	q := data[i]
	for i+1 < len(data) && data[i+1] != '\n' {
		i++
		switch {
		case q == '"' && data[i] == '\\' && i+1 < len(data) && data[i+1] != '\n':
			i++
		case data[i] == q:
			return i
		}
	}
	return i
}
