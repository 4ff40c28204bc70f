package dut

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/yamldoc"
)

// namedKeys are the keys Send.Keys may map.
var namedKeys = []string{string(rune(ecr.KeyEnter)), string(rune(ecr.KeyCancel)), string(rune(ecr.KeyClear))}

// problems collects errors at nodes.
type problems yamldoc.Errors

func (ps *problems) at(n *yaml.Node, format string, args ...any) {
	*ps = append(*ps, yamldoc.At(n, format, args...).(*yamldoc.Error))
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return yamldoc.Errors(ps)
}

// keyNode is the key node of key in mapping n, or n.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i]
			}
		}
	}
	return n
}

// Check validates the profile as a whole (rules and templates check
// themselves as they decode).
func (p *Profile) Check(n *yaml.Node) error {
	var ps problems
	if p.Name == "" {
		ps.at(n, "name: give the firmware's name")
	}
	switch p.Protocol {
	case "":
		p.Protocol = ProtocolLines
	case ProtocolLines, ProtocolECR:
	default:
		ps.at(yamldoc.FindOr(n, "protocol"), "protocol %q: want lines (text lines, translated by this profile) or ecr (framed ECR spoken natively)", p.Protocol)
	}
	if p.Protocol == ProtocolECR {
		for _, k := range []string{"send", "receive", "codes", "ready_on_start", "prompt", "partial_line", "per_sale"} {
			if keyNode(n, k) != n {
				ps.at(keyNode(n, k), "%s: a protocol ecr firmware speaks framed ECR itself; the profile maps nothing", k)
			}
		}
		return ps.err()
	}
	perSale := p.PerSale != nil
	switch {
	case perSale && p.Send.Sale != nil:
		ps.at(keyNode(yamldoc.FindOr(n, "send"), "SALE"), "send.SALE: a per_sale firmware gets its sale in per_sale.args and env, not on its stdin")
	case !perSale && p.Send.Sale == nil:
		ps.at(yamldoc.FindOr(n, "send"), "send.SALE: give the line that starts a sale, e.g. \"sale {{.amount}}\"")
	}
	if perSale && p.ReadyOnStart {
		ps.at(yamldoc.FindOr(n, "ready_on_start"), "ready_on_start: a per_sale terminal is reported READY whenever no program runs; leave it out")
	}
	if len(p.Receive) == 0 && !perSale {
		ps.at(yamldoc.FindOr(n, "receive"), "receive: give the rules that turn printed lines into READY, DISPLAY, EVENT and RESULT")
	}
	hasKind := func(k ecr.Kind) bool {
		return slices.ContainsFunc(p.Receive, func(r Rule) bool { return ecr.Kind(r.Kind) == k })
	}
	if len(p.Receive) > 0 && !hasKind(ecr.Ready) && !p.ReadyOnStart && !perSale {
		ps.at(yamldoc.FindOr(n, "receive"), "receive: no rule makes READY; add one (the runner waits for READY at boot) or set ready_on_start: true")
	}
	if !hasKind(ecr.Result) && !(perSale && (p.PerSale.LastLine != nil || len(p.PerSale.ExitCodes) > 0)) {
		if len(p.Receive) > 0 || perSale {
			ps.at(yamldoc.FindOr(n, "receive"), "receive: no rule makes RESULT; the outcome of a sale could never be read (per_sale: or give last_line or exit_codes)")
		}
	}
	if perSale {
		pn := yamldoc.FindOr(n, "per_sale")
		for st, code := range p.PerSale.ExitCodes {
			if _, ok := p.Codes[code]; !ok {
				ps.at(yamldoc.FindOr(pn, "exit_codes"), "exit_codes: exit status %d is the firmware's code %q, which codes: does not map onto a canonical outcome", st, code)
			}
		}
	}
	rules := yamldoc.FindOr(n, "receive")
	mapped := false
	for i, r := range p.Receive {
		if r.Match.re == nil || !slices.Contains(r.Match.re.SubexpNames(), dutCodeGroup) {
			continue
		}
		mapped = true
		if len(p.Codes) == 0 && rules.Kind == yaml.SequenceNode && i < len(rules.Content) {
			ps.at(yamldoc.FindOr(rules.Content[i], "match"), "the rule captures dut_code but codes: is empty; map the firmware's codes onto canonical outcomes")
		}
	}
	if p.PerSale != nil && (len(p.PerSale.ExitCodes) > 0 || (p.PerSale.LastLine != nil && p.PerSale.LastLine.re != nil && slices.Contains(p.PerSale.LastLine.re.SubexpNames(), dutCodeGroup))) {
		mapped = true
	}
	if len(p.Codes) > 0 && !mapped {
		ps.at(yamldoc.FindOr(n, "codes"), "codes: no receive rule captures a (?P<dut_code>...) group, so these codes are never used")
	}
	if d := p.PartialLine; d != 0 && (d < 10*time.Millisecond || d > 10*time.Second) {
		ps.at(yamldoc.FindOr(n, "partial_line"), "partial_line %v: want 10ms to 10s, or leave it out", d)
	}
	return ps.err()
}

// Check validates the templates against sample messages and the keys map.
func (s *Send) Check(n *yaml.Node) error {
	var ps problems
	for _, k := range []ecr.Kind{ecr.Sale, ecr.Key, ecr.Last, ecr.Status, ecr.Abort} {
		t := s.template(k)
		if t == nil {
			continue
		}
		if _, err := s.render(t, sample(k)); err != nil {
			ps.at(yamldoc.FindOr(n, string(k)), "%s: %v", k, err)
		}
	}
	for k := range s.Keys {
		if !slices.Contains(namedKeys, k) {
			ps.at(keyNode(yamldoc.FindOr(n, "keys"), k), "keys: %q is not a named key (want E enter, C cancel, X clear; digits are sent as they are)", k)
		}
	}
	switch s.Newline {
	case "", "lf", "crlf", "cr":
	default:
		ps.at(yamldoc.FindOr(n, "newline"), "newline %q: want lf, crlf or cr", s.Newline)
	}
	return ps.err()
}

// sample is a message of kind k with every field the runner sends, to try
// templates at load.
func sample(k ecr.Kind) ecr.Message {
	m := ecr.Message{Kind: k}
	switch k {
	case ecr.Sale:
		m.Fields = []ecr.Field{{Key: "amount", Value: "1250"}, {Key: "currency", Value: "978"}, {Key: "ref", Value: "R1"}}
	case ecr.Key:
		m.Fields = []ecr.Field{{Key: "keys", Value: "1234E"}}
	}
	return m
}

// Check validates a rule: match and kind given, fixed fields well formed,
// and an EVENT or RESULT rule gives a code.
func (r *Rule) Check(n *yaml.Node) error {
	var ps problems
	if r.Match.re == nil {
		ps.at(n, "match: give a regular expression")
	}
	if r.Kind == "" {
		ps.at(n, "kind: give READY, BUSY, DISPLAY, EVENT or RESULT")
	}
	fields := yamldoc.FindOr(n, "fields")
	for k, v := range r.Fields {
		if !fieldKey.MatchString(k) {
			ps.at(keyNode(fields, k), "fields: %q: field names are lower case letters, digits and _", k)
		}
		if !printable(v) {
			ps.at(yamldoc.FindOr(fields, k), "fields: %s: value must be printable ASCII", k)
		}
		if k == "code" && !outcome.Code(v).Valid() {
			ps.at(yamldoc.FindOr(fields, k), "fields: code %q is not a canonical outcome (see harness/outcome)", v)
		}
	}
	if len(ps) > 0 || r.Match.re == nil {
		return ps.err()
	}
	groups := r.Match.re.SubexpNames()
	if k := ecr.Kind(r.Kind); (k == ecr.Event || k == ecr.Result) && r.Fields["code"] == "" &&
		!slices.Contains(groups, dutCodeGroup) && !slices.Contains(groups, "code") {
		ps.at(n, "a %s rule must give the outcome: a (?P<dut_code>...) group mapped by codes, a (?P<code>...) group of canonical codes, or fields: {code: ...}", k)
	}
	return ps.err()
}

// printable reports whether s is printable ASCII (an ECR field value).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
