package junit

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/harness/verdict"
)

const xsdFile = "testdata/jenkins-junit.xsd"

// The subset of XML Schema that testdata/jenkins-junit.xsd uses: global
// elements, named or inline complex types with attributes and a sequence or
// choice of element references, and string types restricted by a pattern.
type xsSchema struct {
	Simple   []xsSimple  `xml:"simpleType"`
	Complex  []xsComplex `xml:"complexType"`
	Elements []xsElement `xml:"element"`
}

type xsSimple struct {
	Name    string `xml:"name,attr"`
	Pattern struct {
		Value string `xml:"value,attr"`
	} `xml:"restriction>pattern"`
}

type xsComplex struct {
	Name   string      `xml:"name,attr"`
	Mixed  bool        `xml:"mixed,attr"`
	Attrs  []xsAttr    `xml:"attribute"`
	Seq    []xsElement `xml:"sequence>element"`
	Choice []xsElement `xml:"choice>element"`
}

type xsAttr struct {
	Name string `xml:"name,attr"`
	Type string `xml:"type,attr"`
	Use  string `xml:"use,attr"`
}

type xsElement struct {
	Name    string     `xml:"name,attr"`
	Ref     string     `xml:"ref,attr"`
	Type    string     `xml:"type,attr"`
	Complex *xsComplex `xml:"complexType"`
}

// node is a parsed XML element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
	Text     string     `xml:",chardata"`
}

// validateXSD checks doc against the schema: every element and attribute
// declared, required attributes present, patterns matched, text only where
// the type allows it. It does not check order or counts (the schema's
// choices are unbounded).
func validateXSD(t *testing.T, schema, doc []byte) []string {
	t.Helper()
	var s xsSchema
	if err := xml.Unmarshal(schema, &s); err != nil {
		t.Fatalf("%s: %v", xsdFile, err)
	}
	var root node
	if err := xml.Unmarshal(doc, &root); err != nil {
		return []string{err.Error()}
	}
	global := map[string]xsElement{}
	for _, e := range s.Elements {
		global[e.Name] = e
	}
	types := map[string]*xsComplex{}
	for i := range s.Complex {
		types[s.Complex[i].Name] = &s.Complex[i]
	}
	patterns := map[string]*regexp.Regexp{}
	for _, st := range s.Simple {
		patterns[st.Name] = regexp.MustCompile(`^(?:` + st.Pattern.Value + `)$`)
	}
	var problems []string
	var check func(path string, n node, decl xsElement)
	check = func(path string, n node, decl xsElement) {
		path += "/" + n.XMLName.Local
		ct := decl.Complex
		if ct == nil {
			ct = types[decl.Type]
		}
		if ct == nil { // a simple type: text only
			if len(n.Attrs) > 0 || len(n.Children) > 0 {
				problems = append(problems, path+": text only, has attributes or elements")
			}
			return
		}
		declared := map[string]xsAttr{}
		for _, a := range ct.Attrs {
			declared[a.Name] = a
		}
		have := map[string]bool{}
		for _, a := range n.Attrs {
			have[a.Name.Local] = true
			d, ok := declared[a.Name.Local]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: attribute %q not in the schema", path, a.Name.Local))
				continue
			}
			if re := patterns[d.Type]; re != nil && !re.MatchString(a.Value) {
				problems = append(problems, fmt.Sprintf("%s: %s=%q does not match %s", path, a.Name.Local, a.Value, d.Type))
			}
		}
		for _, a := range ct.Attrs {
			if a.Use == "required" && !have[a.Name] {
				problems = append(problems, fmt.Sprintf("%s: required attribute %q missing", path, a.Name))
			}
		}
		if !ct.Mixed && strings.TrimSpace(n.Text) != "" {
			problems = append(problems, path+": text not allowed")
		}
		allowed := map[string]xsElement{}
		for _, e := range append(ct.Seq, ct.Choice...) {
			if e.Ref != "" {
				allowed[e.Ref] = global[e.Ref]
			} else {
				allowed[e.Name] = e
			}
		}
		for _, c := range n.Children {
			d, ok := allowed[c.XMLName.Local]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: element <%s> not allowed here", path, c.XMLName.Local))
				continue
			}
			check(path, c, d)
		}
	}
	decl, ok := global[root.XMLName.Local]
	if !ok {
		return []string{"root <" + root.XMLName.Local + "> is not a schema element"}
	}
	check("", root, decl)
	return problems
}

// sampleResults has every class, a transcript, a tiny duration (1µs, which
// encoding/xml would write as 1e-06, also the suite's total) and text that
// needs escaping.
func sampleResults() []verdict.Result {
	now := time.Now()
	ev := &verdict.Evidence{Transcript: []verdict.Line{{At: time.Millisecond, Source: "ecr", Text: "SALE amount=1.00 <&>"}}}
	return []verdict.Result{
		{Scenario: "approved", File: "scenarios/chip/approved.yaml", Labels: []string{"chip", "smoke"}, Class: verdict.Pass, Started: now, Evidence: ev},
		{Scenario: "declined [variant]", File: "scenarios/chip/declined.yaml", Labels: []string{"chip"}, Class: verdict.Fail, Reason: "expected APPROVED, got DECLINED \"x\"", Started: now, Duration: time.Microsecond},
		{Scenario: "stall", File: "scenarios/network/stall.yaml", Class: verdict.BenchError, Reason: "pcscd down", Started: now},
		{Scenario: "bad.yaml", File: "bad.yaml", Class: verdict.Invalid, Reason: "bad.yaml:1:1: x", Started: now},
	}
}

// TestValidatesAgainstJenkinsSchema: junit.xml passes the schema Jenkins
// uses, read by Go, and by xmllint when it is installed.
func TestValidatesAgainstJenkinsSchema(t *testing.T) {
	schema, err := os.ReadFile(xsdFile)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, "poshil", sampleResults()); err != nil {
		t.Fatal(err)
	}
	for _, p := range validateXSD(t, schema, buf.Bytes()) {
		t.Error(p)
	}

	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (Debian libxml2-utils, in ci/deps.sh): checked by the Go reading of the schema only")
	}
	f := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", xsdFile, f).CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}

// TestSchemaCheckCatches: the Go reading of the schema refuses what
// Jenkins refuses, so its silence above means something.
func TestSchemaCheckCatches(t *testing.T) {
	schema, err := os.ReadFile(xsdFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"unknown attribute":  `<testsuites><testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x" file="a.yaml"/></testsuite></testsuites>`,
		"exponent time":      `<testsuites time="1e-06"/>`,
		"missing required":   `<testsuites><testsuite name="a" tests="1" errors="0"/></testsuites>`,
		"unknown element":    `<testsuites><testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x"><oops/></testcase></testsuite></testsuites>`,
		"text in testsuites": `<testsuites>hello</testsuites>`,
	} {
		if p := validateXSD(t, schema, []byte(doc)); len(p) == 0 {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
}

// TestClassnameIsFamily: one family is one class, whatever the labels.
func TestClassnameIsFamily(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "poshil", sampleResults()); err != nil {
		t.Fatal(err)
	}
	var doc testsuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range doc.Suites[0].Cases {
		got = append(got, c.Classname)
	}
	if want := "poshil.chip poshil.chip poshil.network poshil.scenarios"; strings.Join(got, " ") != want {
		t.Errorf("classnames %v, want %s", got, want)
	}
	if c := doc.Suites[0].Cases[0]; !strings.HasPrefix(c.SystemOut, "file: scenarios/chip/approved.yaml\n") {
		t.Errorf("system-out does not start with the file: %q", c.SystemOut)
	}
}
