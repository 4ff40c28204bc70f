package dut

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/fixtures/profiles"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Protocols a profile can declare.
const (
	// ProtocolLines: the firmware reads and prints text lines; the
	// profile's send templates and receive rules translate (the default).
	ProtocolLines = "lines"
	// ProtocolECR: the firmware speaks the framed ECR protocol natively
	// (docs/ecr.md); the profile is the identity and only documents it.
	ProtocolECR = "ecr"
)

// Profile is how to drive one firmware that reads and prints text lines:
// a firmware profile file (docs/third-party.md). It is decoded strictly
// (unknown keys are errors) and checked at load: regular expressions
// compile, templates run, codes are canonical; errors name file:line:col.
type Profile struct {
	// Name names the firmware, e.g. "shellterm".
	Name string `yaml:"name"`
	// Description says what firmware and version the profile is for.
	Description string `yaml:"description"`
	// Protocol is "lines" (default) or "ecr" (native framed ECR: no
	// send, receive or codes).
	Protocol string `yaml:"protocol"`
	// Send turns the ECR's requests into input lines.
	Send Send `yaml:"send"`
	// Receive turns output lines into messages: the first rule that
	// matches a line wins; a line no rule matches is only recorded.
	Receive []Rule `yaml:"receive"`
	// Codes maps the firmware's own codes (a rule's dut_code group) onto
	// canonical outcomes.
	Codes map[string]outcome.Code `yaml:"codes"`
	// ReadyOnStart makes the adapter report READY as soon as it starts,
	// for a firmware that prints nothing at boot.
	ReadyOnStart bool `yaml:"ready_on_start"`
	// Prompt, when set, is removed from the start of every output line
	// before the rules see it (a console's "> ").
	Prompt *Pattern `yaml:"prompt"`
	// PartialLine, when set, makes an unterminated output line that has
	// been idle this long count as a line (prompts printed without a
	// newline, "ENTER PIN: "). 0: only newlines end lines.
	PartialLine time.Duration `yaml:"partial_line"`
	// PerSale, when set, starts the program once per sale with the sale
	// in its arguments (a one-shot kernel) instead of once per scenario.
	PerSale *PerSale `yaml:"per_sale"`

	// File is where the profile was read from, for messages.
	File string `yaml:"-"`
}

// Send holds one text/template per ECR request kind; a kind without a
// template cannot be sent (ErrNoTemplate). A template sees the message's
// fields by name ({{.amount}}); its output is sent as one line, or as
// several if it holds newlines.
type Send struct {
	Sale   *Template `yaml:"SALE"`   // amount (minor units), currency, ref
	Key    *Template `yaml:"KEY"`    // keys: digits as they are, named keys per Keys
	Last   *Template `yaml:"LAST"`   // no fields
	Status *Template `yaml:"STATUS"` // no fields
	Abort  *Template `yaml:"ABORT"`  // no fields
	// Keys maps the named keys E (enter), C (cancel) and X (clear) to the
	// text the firmware wants for them; an unmapped key is sent as its
	// letter. Digits are sent as they are.
	Keys map[string]string `yaml:"keys"`
	// Newline ends each line sent: "lf" (default), "crlf" or "cr".
	Newline string `yaml:"newline"`
}

// Rule turns an output line into a message.
type Rule struct {
	// Match is a Go regular expression (RE2 syntax). Its named groups
	// become fields of the message; a group "dut_code" is looked up in
	// Codes to give the field "code".
	Match Pattern `yaml:"match"`
	// Kind is the message made: READY, BUSY, DISPLAY, EVENT or RESULT.
	Kind Kind `yaml:"kind"`
	// Fields are fixed fields added to the message (after the groups,
	// winning over them), e.g. {code: INCORRECT_PIN} or {last: "1"}.
	Fields map[string]string `yaml:"fields"`
}

// Kind is a message kind a rule can make.
type Kind ecr.Kind

// receivable are the kinds a firmware's output can become.
var receivable = []ecr.Kind{ecr.Ready, ecr.Busy, ecr.Display, ecr.Event, ecr.Result}

// UnmarshalYAML accepts the kinds a terminal sends.
func (k *Kind) UnmarshalYAML(n *yaml.Node) error {
	v := ecr.Kind(strings.ToUpper(strings.TrimSpace(n.Value)))
	if n.Kind != yaml.ScalarNode || !slices.Contains(receivable, v) {
		return yamldoc.At(n, "unknown kind %q (want READY, BUSY, DISPLAY, EVENT or RESULT)", n.Value)
	}
	*k = Kind(v)
	return nil
}

// Pattern is a regular expression compiled at load.
type Pattern struct {
	re *regexp.Regexp
}

// UnmarshalYAML compiles the expression; a bad one is reported at its
// line:col.
func (p *Pattern) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		return yamldoc.At(n, "want a regular expression (text)")
	}
	re, err := regexp.Compile(n.Value)
	if err != nil {
		return yamldoc.At(n, "bad regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	for _, g := range re.SubexpNames()[1:] {
		if g != "" && !fieldKey.MatchString(g) {
			return yamldoc.At(n, "group name %q: field names are lower case letters, digits and _", g)
		}
	}
	p.re = re
	return nil
}

// String is the expression.
func (p Pattern) String() string {
	if p.re == nil {
		return ""
	}
	return p.re.String()
}

// fieldKey is an ECR field key (docs/ecr.md §1).
var fieldKey = regexp.MustCompile(`^[a-z0-9_]+$`)

// dutCodeGroup is the group whose value Codes maps.
const dutCodeGroup = "dut_code"

// LoadProfile reads a firmware profile: a file path (holding a '/' or
// ending in .yaml or .yml) or the name of one shipped in fixtures/profiles
// (e.g. "shellterm"). Decoding errors are yamldoc errors (file:line:col);
// an unknown shipped name is ErrProfile.
func LoadProfile(nameOrPath string) (*Profile, error) {
	if strings.ContainsRune(nameOrPath, '/') || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		var p Profile
		if err := yamldoc.ReadFile(nameOrPath, &p); err != nil {
			return nil, err
		}
		p.File = nameOrPath
		return &p, nil
	}
	file, data, err := profiles.Read(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProfile, err)
	}
	return ParseProfile(file, data)
}

// ParseProfile decodes and checks one profile document; file names it in
// errors.
func ParseProfile(file string, data []byte) (*Profile, error) {
	var p Profile
	if err := yamldoc.Decode(file, data, &p); err != nil {
		return nil, err
	}
	p.File = file
	return &p, nil
}

// Native reports whether the firmware speaks framed ECR itself (protocol
// "ecr"): then it needs ecr.Link, not an adapter of this package.
func (p *Profile) Native() bool { return p.Protocol == ProtocolECR }

// newline is the line ending sent after each input line.
func (p *Profile) newline() string {
	switch p.Send.Newline {
	case "crlf":
		return "\r\n"
	case "cr":
		return "\r"
	}
	return "\n"
}

// String names the profile for messages.
func (p *Profile) String() string {
	if p.File != "" {
		return fmt.Sprintf("profile %s (%s)", p.Name, p.File)
	}
	return "profile " + p.Name
}
