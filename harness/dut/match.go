package dut

import (
	"slices"
	"strings"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/outcome"
)

// maxFieldLen bounds a field value taken from a printed line.
const maxFieldLen = 256

// UnmappedField is the field that carries a firmware code the profile's
// codes do not map (or a code group that is not canonical). Such a message
// has no code field, so any expectation on it fails and names it.
const UnmappedField = "unmapped"

// Match turns one printed line (already cleaned of control characters) into
// a message: the prompt is removed, then the first rule whose expression
// matches wins. Named groups become fields (trimmed, card numbers masked,
// at most 256 characters), then the rule's fixed fields are set. The code
// field comes from, in order: the fixed fields, a "code" group holding a
// canonical code, or the "dut_code" group mapped by Codes; a code that
// none of these turns canonical is left out and reported in the field
// "unmapped" instead. ok is false when no rule matches.
func (p *Profile) Match(line string) (m ecr.Message, ok bool) {
	if p.Prompt != nil && p.Prompt.re != nil {
		if loc := p.Prompt.re.FindStringIndex(line); loc != nil && loc[0] == 0 {
			line = line[loc[1]:]
		}
	}
	for _, r := range p.Receive {
		if r.Match.re == nil {
			continue
		}
		sub := r.Match.re.FindStringSubmatchIndex(line)
		if sub == nil {
			continue
		}
		return p.message(r, line, sub), true
	}
	return ecr.Message{}, false
}

// message builds the message of rule r from its match sub in line.
func (p *Profile) message(r Rule, line string, sub []int) ecr.Message {
	m := ecr.Message{Kind: ecr.Kind(r.Kind)}
	var dutCode, codeGroup string
	var hasDutCode, hasCodeGroup bool
	for i, name := range r.Match.re.SubexpNames() {
		if i == 0 || name == "" || sub[2*i] < 0 {
			continue
		}
		v := fieldValue(line[sub[2*i]:sub[2*i+1]])
		switch name {
		case "code":
			codeGroup, hasCodeGroup = v, true
			continue // set below, once known canonical
		case dutCodeGroup:
			dutCode, hasDutCode = v, true
		}
		m = m.With(name, v)
	}
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		m = m.With(k, r.Fields[k])
	}
	if _, fixed := r.Fields["code"]; fixed {
		return m
	}
	switch {
	case hasCodeGroup && outcome.Code(codeGroup).Valid():
		m = m.With("code", codeGroup)
	case hasCodeGroup:
		m = m.With(UnmappedField, codeGroup)
	case hasDutCode:
		if c, ok := p.Codes[dutCode]; ok {
			m = m.With("code", string(c))
		} else {
			m = m.With(UnmappedField, dutCode)
		}
	}
	return m
}

// fieldValue makes a captured text a field value: trimmed, printable
// ASCII ('?' for anything else), card numbers and track data masked,
// bounded.
func fieldValue(s string) string {
	s = strings.TrimSpace(s)
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	s = maskCardData(string(b))
	if len(s) > maxFieldLen {
		// Cutting a long digit run can leave a PAN-long piece: mask again.
		s = maskCardData(s[:maxFieldLen])
	}
	return s
}
