package verdict

import "time"

// Encodings keeps the encoded results of a file written again after every
// scenario (a run's progress copies of record.json and junit.xml): each
// result is scrubbed and encoded once, so a run of n scenarios costs O(n)
// encoding, not O(n²). A result is known by its scenario, file and start
// time; whatever differs (another file, a result replaced) is encoded
// again. Its owner serialises the calls.
type Encodings struct {
	path string
	done []encoding
}

type encoding struct {
	scenario, file string
	started        time.Time
	data           []byte
}

// Update returns the encodings of rs for the file at path (another path
// starts afresh), encoding only those it does not have; each result is
// scrubbed in place (its Secrets) before it is first encoded. On an
// encoding error it keeps what it had before the failing result.
func (e *Encodings) Update(path string, rs []Result, encode func(*Result) ([]byte, error)) ([][]byte, error) {
	if path != e.path {
		e.path, e.done = path, nil
	}
	keep := 0
	for keep < len(e.done) && keep < len(rs) && e.done[keep].of(&rs[keep]) {
		keep++
	}
	e.done = e.done[:keep]
	for i := keep; i < len(rs); i++ {
		r := &rs[i]
		r.Secrets.Walk(r)
		b, err := encode(r)
		if err != nil {
			return nil, err
		}
		e.done = append(e.done, encoding{scenario: r.Scenario, file: r.File, started: r.Started, data: b})
	}
	out := make([][]byte, len(e.done))
	for i, d := range e.done {
		out[i] = d.data
	}
	return out, nil
}

// of reports whether d was encoded from a result like r.
func (d encoding) of(r *Result) bool {
	return d.scenario == r.Scenario && d.file == r.File && d.started.Equal(r.Started)
}
