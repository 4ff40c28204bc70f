package dut

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Template is a text/template for one request kind, parsed at load. It
// sees the message's fields as {{.name}}; naming a field the message does
// not have is an error (caught at load against a sample message). Besides
// text/template's builtins it has decimal: {{decimal .amount 2}} gives
// "12.50" for amount 1250.
type Template struct {
	src string
	t   *template.Template
}

// templateFuncs are the functions templates may call.
var templateFuncs = template.FuncMap{"decimal": decimal}

// UnmarshalYAML parses the template; a syntax error is reported at its
// line:col.
func (t *Template) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return yamldoc.At(n, "want a template (text, e.g. \"sale {{.amount}}\")")
	}
	tt, err := template.New("send").Option("missingkey=error").Funcs(templateFuncs).Parse(n.Value)
	if err != nil {
		return yamldoc.At(n, "bad template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	t.src, t.t = n.Value, tt
	return nil
}

// String is the template's source.
func (t *Template) String() string { return t.src }

// decimal formats an amount in minor units with places decimals.
func decimal(amount string, places int) (string, error) {
	v, err := strconv.ParseUint(amount, 10, 63)
	if err != nil {
		return "", fmt.Errorf("decimal: amount %q is not a whole number of minor units", amount)
	}
	if places <= 0 || places > 6 {
		return amount, nil
	}
	s := fmt.Sprintf("%0*d", places+1, v)
	return s[:len(s)-places] + "." + s[len(s)-places:], nil
}

// template is the template for kind k, or nil.
func (s *Send) template(k ecr.Kind) *Template {
	switch k {
	case ecr.Sale:
		return s.Sale
	case ecr.Key:
		return s.Key
	case ecr.Last:
		return s.Last
	case ecr.Status:
		return s.Status
	case ecr.Abort:
		return s.Abort
	}
	return nil
}

// Sends reports whether the profile can send a message of kind k (has a
// template for it), so a scenario needing LAST or ABORT can be found
// unrunnable on a bench before it starts. A protocol ecr profile sends
// everything (natively); with ready_on_start, STATUS without a template is
// answered by the adapter (READY synthesized).
func (p *Profile) Sends(k ecr.Kind) bool {
	if p.PerSale != nil && (k == ecr.Sale || (k == ecr.Last && p.PerSale.LastArgs != nil)) {
		return true
	}
	return p.Native() || p.Send.template(k) != nil || (k == ecr.Status && p.ReadyOnStart)
}

// Render returns the input lines (without line endings) that ask the
// firmware for m. A kind the profile has no template for is ErrNoTemplate.
func (p *Profile) Render(m ecr.Message) ([]string, error) {
	t := p.Send.template(m.Kind)
	if t == nil {
		return nil, fmt.Errorf("%w: %s has no send.%s", ErrNoTemplate, p, m.Kind)
	}
	lines, err := p.Send.render(t, m)
	if err != nil {
		return nil, fmt.Errorf("%s: send.%s: %w", p, m.Kind, err)
	}
	return lines, nil
}

// render runs t over m's fields (KEY's keys mapped) and splits the text
// into lines. One trailing newline is dropped (a YAML block scalar ends
// with one); an empty text is one empty line.
func (s *Send) render(t *Template, m ecr.Message) ([]string, error) {
	data := make(map[string]string, len(m.Fields))
	for _, f := range m.Fields {
		data[f.Key] = f.Value
	}
	if keys, ok := data["keys"]; ok && m.Kind == ecr.Key {
		data["keys"] = s.mapKeys(keys)
	}
	var b strings.Builder
	if err := t.t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "template: "))
	}
	out := strings.TrimSuffix(b.String(), "\n")
	for i := 0; i < len(out); i++ {
		if c := out[i]; (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			return nil, fmt.Errorf("the text holds control character 0x%02X", c)
		}
	}
	return strings.Split(out, "\n"), nil
}

// mapKeys turns a keys field into the firmware's text: digits as they
// are, each named key (E, C, X) as Keys says or as its letter.
func (s *Send) mapKeys(keys string) string {
	var b strings.Builder
	for _, r := range keys {
		if t, ok := s.Keys[string(r)]; ok {
			b.WriteString(t)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
