// Package junit writes a run's verdicts as JUnit XML, the format CI servers
// (GitLab, GitHub, Jenkins) show as test reports. PASS is a passed test
// case, FAIL a <failure>, BENCH_ERROR and INVALID an <error> with the class
// as its type, so a rig problem is never counted as a firmware failure.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/verdict"
)

type testsuites struct {
	XMLName  xml.Name  `xml:"testsuites"`
	Name     string    `xml:"name,attr"`
	Tests    int       `xml:"tests,attr"`
	Failures int       `xml:"failures,attr"`
	Errors   int       `xml:"errors,attr"`
	Time     float64   `xml:"time,attr"`
	Suites   []suiteEl `xml:"testsuite"`
}

type suiteEl struct {
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Time      float64      `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr,omitempty"`
	Cases     []testcaseEl `xml:"testcase"`
}

type testcaseEl struct {
	Name      string     `xml:"name,attr"`
	Classname string     `xml:"classname,attr"`
	File      string     `xml:"file,attr,omitempty"`
	Time      float64    `xml:"time,attr"`
	Failure   *problemEl `xml:"failure,omitempty"`
	Error     *problemEl `xml:"error,omitempty"`
	SystemOut string     `xml:"system-out,omitempty"`
}

type problemEl struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// Write writes results as one JUnit test suite named suite. Each result
// is scrubbed first with its own secrets (Result.Secrets), in place.
func Write(w io.Writer, suite string, rs []verdict.Result) error {
	s := suiteEl{Name: suite, Tests: len(rs)}
	var total time.Duration
	for i := range rs {
		rs[i].Secrets.Walk(&rs[i])
		r := rs[i]
		if i == 0 {
			s.Timestamp = r.Started.UTC().Format(time.RFC3339)
		}
		total += r.Duration
		tc := testcaseEl{
			Name:      r.Scenario,
			Classname: suite + "." + strings.Join(r.Labels, "."),
			File:      r.File,
			Time:      r.Duration.Seconds(),
			SystemOut: transcript(r),
		}
		p := &problemEl{Message: r.Reason, Type: string(r.Class), Body: r.Reason}
		switch r.Class {
		case verdict.Pass:
		case verdict.Fail:
			tc.Failure = p
			s.Failures++
		default:
			tc.Error = p
			s.Errors++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Time = total.Seconds()
	doc := testsuites{Name: suite, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Time: s.Time, Suites: []suiteEl{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteFile writes results to path, creating its directory, atomically (a
// crash never leaves half a report), mode 0666 less the umask.
func WriteFile(path, suite string, rs []verdict.Result) error {
	if err := outfile.Write(path, func(w io.Writer) error { return Write(w, suite, rs) }); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func transcript(r verdict.Result) string {
	if r.Evidence == nil {
		return ""
	}
	var b strings.Builder
	for _, l := range r.Evidence.Transcript {
		fmt.Fprintf(&b, "%10.3fms %-6s %s\n", float64(l.At.Microseconds())/1000, l.Source, l.Text)
	}
	receipts(&b, r.Evidence.Receipts)
	return b.String()
}
