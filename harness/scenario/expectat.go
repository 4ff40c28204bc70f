package scenario

import (
	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

// ExpectAt is where each part of an expect block is written (line and
// column; the file is the scenario's). A part the file does not write is
// at the expect block itself, so every check can name a place. Positions
// are filled when the scenario is decoded.
type ExpectAt struct {
	// Expect is the expect block.
	Expect yamldoc.Pos
	// Outcome is expect.outcome (or the matrix variant's outcome).
	Outcome, TriesLeft, Within, Fields, MaxRetransmits, Settle yamldoc.Pos
	// Field holds the position of each expect.fields value, by key.
	Field map[string]yamldoc.Pos
	// Never holds one position per entry of Expect.Never.
	Never []yamldoc.Pos
	// Host is expect.host; Requests, Reversals and Net its parts.
	Host, Requests, Reversals, Net yamldoc.Pos
}

// FieldAt is the position of expect.fields' value for key, or of fields.
func (a ExpectAt) FieldAt(key string) yamldoc.Pos {
	if p, ok := a.Field[key]; ok {
		return p
	}
	return a.Fields
}

// NeverAt is the position of Never[i], or of the never key.
func (a ExpectAt) NeverAt(i int) yamldoc.Pos {
	if i >= 0 && i < len(a.Never) {
		return a.Never[i]
	}
	return a.Expect
}

// expectAt finds the parts of the expect mapping n.
func expectAt(n *yaml.Node) ExpectAt {
	at := ExpectAt{Expect: pos(n)}
	keys := keyNodes(n)
	get := func(k string, def yamldoc.Pos) yamldoc.Pos {
		if v := keys[k]; v != nil {
			return pos(v)
		}
		return def
	}
	at.Outcome = get("outcome", at.Expect)
	at.TriesLeft = get("tries_left", at.Outcome)
	at.Within = get("within", at.Expect)
	at.Fields = keyPos(n, "fields", at.Expect)
	at.MaxRetransmits = get("max_retransmits", at.Expect)
	at.Settle = get("settle", at.Expect)
	for k, v := range keyNodes(resolve(keys["fields"])) {
		if at.Field == nil {
			at.Field = map[string]yamldoc.Pos{}
		}
		at.Field[k] = pos(v)
	}
	if v := resolve(keys["never"]); v != nil && v.Kind == yaml.SequenceNode {
		for _, item := range v.Content {
			at.Never = append(at.Never, pos(item))
		}
	}
	at.Host = keyPos(n, "host", at.Expect)
	host := keyNodes(resolve(keys["host"]))
	for k, p := range map[string]*yamldoc.Pos{"requests": &at.Requests, "reversals": &at.Reversals, "net": &at.Net} {
		*p = at.Host
		if v := host[k]; v != nil {
			*p = pos(v)
		}
	}
	return at
}

// keyPos is the position of key itself in mapping n (for a mapping or
// list value, whose own position is its first entry), or def.
func keyPos(n *yaml.Node, key string, def yamldoc.Pos) yamldoc.Pos {
	var found *yaml.Node
	walkKeys(n, func(k, _ *yaml.Node) {
		if found == nil && k.Value == key {
			found = k
		}
	})
	if found == nil {
		return def
	}
	return pos(found)
}

// keyAt is the position of key's value in mapping n, or of n.
func keyAt(n *yaml.Node, key string) yamldoc.Pos {
	if v := keyNodes(n)[key]; v != nil {
		return pos(v)
	}
	return pos(n)
}

// keyNodes maps the keys of mapping n to their value nodes, following
// merge keys the way the decoder does (explicit keys win).
func keyNodes(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	walkKeys(n, func(k, v *yaml.Node) {
		if _, seen := out[k.Value]; !seen {
			out[k.Value] = v
		}
	})
	return out
}

// walkKeys calls f on each key and value of mapping n, explicit keys
// first, then those of merged mappings in merge order.
func walkKeys(n *yaml.Node, f func(k, v *yaml.Node)) {
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		n = resolve(n)
		if n == nil || depth > 16 {
			return
		}
		switch n.Kind {
		case yaml.SequenceNode:
			for _, m := range n.Content {
				walk(m, depth+1)
			}
		case yaml.MappingNode:
			var merges []*yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "<<" && k.Tag == "!!merge" {
					merges = append(merges, v)
					continue
				}
				f(k, v)
			}
			for _, m := range merges {
				walk(m, depth+1)
			}
		}
	}
	walk(n, 0)
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func pos(n *yaml.Node) yamldoc.Pos {
	if n == nil {
		return yamldoc.Pos{}
	}
	return yamldoc.Pos{Line: n.Line, Col: n.Column}
}
