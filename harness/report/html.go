package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/verdict"
)

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":     millis,
	"dur":    human,
	"hexsp":  hexSpaced,
	"tlv":    evidence.FormatTLV,
	"when":   func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
	"lower":  strings.ToLower,
	"joinsp": func(s []string) string { return strings.Join(s, " ") },
	"ok":     func(m evidence.Measurement) bool { return m.OK() },
	"num":    number,
	"inc":    func(i int) int { return i + 1 },
}).Parse(pageSource))

// pageData is what the template renders.
type pageData struct {
	Run       Run
	Duration  time.Duration
	Total     int
	Counts    []count
	Labels    []string
	Sources   []string
	Scenarios []scenarioView
}

type count struct {
	Class verdict.Class
	N     int
}

type scenarioView struct {
	verdict.Result
	ID   string
	Open bool
	Rows []row
}

// classes in report order.
var classes = []verdict.Class{verdict.Fail, verdict.BenchError, verdict.Invalid, verdict.Pass}

// WriteHTML renders r as one self-contained HTML page (inline CSS and
// JavaScript, no external URL, a Content-Security-Policy that forbids
// loading any) to w. Every value is escaped by html/template.
//
// r is scrubbed first (Scrub).
func WriteHTML(w io.Writer, r Record) error {
	Scrub(&r)
	d := pageData{Run: r.Run, Total: len(r.Results)}
	if !r.Run.Started.IsZero() && r.Run.Finished.After(r.Run.Started) {
		d.Duration = r.Run.Finished.Sub(r.Run.Started)
	}
	counts := verdict.Counts(r.Results)
	for _, c := range classes {
		d.Counts = append(d.Counts, count{c, counts[c]})
	}
	labels, sources := map[string]bool{}, map[string]bool{}
	for i, res := range r.Results {
		for _, l := range res.Labels {
			labels[l] = true
		}
		v := scenarioView{Result: res, ID: fmt.Sprintf("s%d", i+1), Open: res.Class != verdict.Pass, Rows: timeline(res.Evidence)}
		for _, row := range v.Rows {
			sources[row.Source] = true
		}
		d.Scenarios = append(d.Scenarios, v)
	}
	d.Labels, d.Sources = sortedKeys(labels), sortedKeys(sources)
	// Worst first, then in run order: a failure is what a reader wants.
	sort.SliceStable(d.Scenarios, func(i, j int) bool {
		return rank(d.Scenarios[i].Class) < rank(d.Scenarios[j].Class)
	})
	var buf bytes.Buffer
	if err := page.Execute(&buf, d); err != nil {
		return fmt.Errorf("%w: render: %w", ErrWrite, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// WriteHTMLFile writes the HTML report of r to path.
func WriteHTMLFile(path string, r Record) error {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeAtomic(path, buf.Bytes())
}

func rank(c verdict.Class) int {
	for i, x := range classes {
		if x == c {
			return i
		}
	}
	return len(classes)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// millis shows a duration since the scenario start as milliseconds.
func millis(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// human shows a duration rounded for people.
func human(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// number shows a measurement: whole numbers as such, else 3 decimals at
// most.
func number(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/1000, 'f', -1, 64)
}

// hexSpaced groups hex digits by byte: "00A40400" -> "00 A4 04 00".
func hexSpaced(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+2, len(s))])
	}
	return b.String()
}
