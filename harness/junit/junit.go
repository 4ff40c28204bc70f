// Package junit writes a run's verdicts as JUnit XML, the format CI servers
// (GitLab, GitHub, Jenkins) show as test reports. PASS is a passed test
// case, FAIL a <failure>, BENCH_ERROR and INVALID an <error> with the class
// as its type, so a rig problem is never counted as a firmware failure.
//
// A test case's classname is SUITE.FAMILY, the family being the folder of
// its scenario file (scenarios/chip/approved.yaml is poshil.chip), so CI
// tools group a family's scenarios together; the file itself opens the
// case's system-out. The file validates against the JUnit schema Jenkins
// uses (testdata/jenkins-junit.xsd): times are plain decimals, no attribute
// outside the schema.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/verdict"
)

// FileName is the report's name in a run's output folder.
const FileName = "junit.xml"

type testsuites struct {
	XMLName  xml.Name  `xml:"testsuites"`
	Name     string    `xml:"name,attr"`
	Tests    int       `xml:"tests,attr"`
	Failures int       `xml:"failures,attr"`
	Errors   int       `xml:"errors,attr"`
	Time     seconds   `xml:"time,attr"`
	Suites   []suiteEl `xml:"testsuite"`
}

type suiteEl struct {
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Time      seconds      `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr,omitempty"`
	Hostname  string       `xml:"hostname,attr,omitempty"`
	Cases     []testcaseEl `xml:"testcase"`
}

type testcaseEl struct {
	Name      string     `xml:"name,attr"`
	Classname string     `xml:"classname,attr"`
	Time      seconds    `xml:"time,attr"`
	Failure   *problemEl `xml:"failure,omitempty"`
	Error     *problemEl `xml:"error,omitempty"`
	SystemOut string     `xml:"system-out,omitempty"`
}

// seconds is a duration as JUnit's time attribute: seconds with three
// decimals, never an exponent (encoding/xml writes a float64 as 1e-05,
// which the schema refuses).
type seconds time.Duration

func (s seconds) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: fmt.Sprintf("%.3f", time.Duration(s).Seconds())}, nil
}

func (s *seconds) UnmarshalXMLAttr(a xml.Attr) error {
	f, err := strconv.ParseFloat(a.Value, 64)
	*s = seconds(f * float64(time.Second))
	return err
}

type problemEl struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// Write writes results as one JUnit test suite named suite. Each result
// is scrubbed first with its own secrets (Result.Secrets), in place.
func Write(w io.Writer, suite string, rs []verdict.Result) error {
	s := header(suite, rs)
	for i := range rs {
		rs[i].Secrets.Walk(&rs[i])
		s.Cases = append(s.Cases, testcase(suite, rs[i]))
	}
	return encode(w, suite, s)
}

// header is the suite element of results without its cases: counts,
// total time, timestamp, host.
func header(suite string, rs []verdict.Result) suiteEl {
	host, _ := os.Hostname()
	s := suiteEl{Name: suite, Tests: len(rs), Hostname: host}
	var total time.Duration
	for i, r := range rs {
		if i == 0 {
			s.Timestamp = r.Started.UTC().Format(time.RFC3339)
		}
		total += r.Duration
		switch r.Class {
		case verdict.Pass:
		case verdict.Fail:
			s.Failures++
		default:
			s.Errors++
		}
	}
	s.Time = seconds(total)
	return s
}

// testcase is one result's case: PASS plain, FAIL a failure, anything
// else an error of its class.
func testcase(suite string, r verdict.Result) testcaseEl {
	tc := testcaseEl{
		Name:      r.Scenario,
		Classname: suite + "." + Family(r.File),
		Time:      seconds(r.Duration),
		SystemOut: transcript(r),
	}
	p := &problemEl{Message: r.Reason, Type: string(r.Class), Body: r.Reason}
	switch r.Class {
	case verdict.Pass:
	case verdict.Fail:
		tc.Failure = p
	default:
		tc.Error = p
	}
	return tc
}

// encode writes the document of suite element s.
func encode(w io.Writer, suite string, s suiteEl) error {
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

// Family is a scenario file's family: the name of its folder
// (scenarios/chip/approved.yaml is "chip"); "scenarios" for a file with no
// folder.
func Family(file string) string {
	dir := filepath.Base(filepath.Dir(filepath.Clean(file)))
	if file == "" || dir == "." || dir == string(filepath.Separator) {
		return "scenarios"
	}
	return dir
}

// transcript is the case's system-out: its file, then its transcript.
func transcript(r verdict.Result) string {
	var b strings.Builder
	if r.File != "" {
		fmt.Fprintf(&b, "file: %s\n", r.File)
	}
	if r.Evidence == nil {
		return b.String()
	}
	for _, l := range r.Evidence.Transcript {
		fmt.Fprintf(&b, "%10.3fms %-6s %s\n", float64(l.At.Microseconds())/1000, l.Source, l.Text)
	}
	receipts(&b, r.Evidence.Receipts)
	return b.String()
}
