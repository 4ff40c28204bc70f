package yamldoc

import "gopkg.in/yaml.v3"

// Find follows keys from mapping n and returns the value node of the last
// one, or nil when a key is absent: a Checker's way to point at the value
// it refuses. Aliases are followed, and a key merged in ("<<") is found
// where the merged mapping holds it, as the decoder takes it.
func Find(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n = valueOf(deref(n), k); n == nil {
			return nil
		}
	}
	return n
}

// FindOr is Find, or the deepest node found on the way (n itself when the
// first key is absent): the place to report a missing or bad value.
func FindOr(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		v := valueOf(deref(n), k)
		if v == nil {
			return n
		}
		n = v
	}
	return n
}

// Item is the i-th element of sequence n (aliases followed), or nil.
func Item(n *yaml.Node, i int) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
		return nil
	}
	return deref(n.Content[i])
}

func deref(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < maxAliases; depth++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	return n
}

// valueOf is the value of key in mapping n: its own key first, then the
// merged mappings in order (YAML merge semantics).
func valueOf(n *yaml.Node, key string) *yaml.Node {
	return lookup(n, key, 0)
}

func lookup(n *yaml.Node, key string, depth int) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode || depth > 16 {
		return nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			merges = append(merges, v)
			continue
		}
		if k.Value == key {
			return deref(v)
		}
	}
	for _, m := range merges {
		m = deref(m)
		if m != nil && m.Kind == yaml.SequenceNode {
			for _, e := range m.Content {
				if v := lookup(deref(e), key, depth+1); v != nil {
					return v
				}
			}
			continue
		}
		if v := lookup(m, key, depth+1); v != nil {
			return v
		}
	}
	return nil
}
