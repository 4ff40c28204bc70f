package yamldoc

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks yaml.v3 nodes into Go values by reflection.
type decoder struct {
	file    string
	errs    Errors
	nodes   int
	tooBig  bool
	aliases int
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	checkerType     = reflect.TypeFor[Checker]()
	durationType    = reflect.TypeFor[time.Duration]()
)

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.push(&Error{Pos: Pos{File: d.file, Line: n.Line, Col: n.Column}, Msg: fmt.Sprintf(format, args...)})
}

// push records e once: an alias expanded many times reports its problem
// at its one place, not once per expansion.
func (d *decoder) push(e *Error) {
	if len(d.errs) >= maxErrors {
		return
	}
	for _, old := range d.errs {
		if old.Pos == e.Pos && old.Msg == e.Msg {
			return
		}
	}
	d.errs = append(d.errs, e)
}

// addErr records err from n's decoding, keeping inner positions.
func (d *decoder) addErr(n *yaml.Node, err error) {
	var es Errors
	var e *Error
	switch {
	case errors.As(err, &es):
		for _, inner := range es {
			d.addErr(n, inner)
		}
	case errors.As(err, &e):
		c := *e
		if c.Pos.File == "" {
			c.Pos.File = d.file
		}
		if c.Pos.Line == 0 {
			c.Pos.Line, c.Pos.Col = n.Line, n.Column
		}
		d.push(&c)
	default:
		d.fail(n, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
}

func (d *decoder) value(n *yaml.Node, v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic("yamldoc: Decode needs a non-nil pointer")
	}
	d.decode(n, rv.Elem())
}

// visit counts a node against maxNodes (aliases expanded, merges
// included) and aliases against maxAliases; false once the document is
// too large.
func (d *decoder) visit(n *yaml.Node) bool {
	if d.tooBig {
		return false
	}
	d.nodes++
	if d.nodes > maxNodes {
		d.tooBig = true
		d.fail(n, "document too large: more than %d nodes after alias expansion (alias bomb?)", maxNodes)
		return false
	}
	if n.Kind == yaml.AliasNode {
		d.aliases++
		if d.aliases > maxAliases {
			d.tooBig = true
			d.fail(n, "too many aliases (more than %d)", maxAliases)
			return false
		}
	}
	return true
}

// charge counts n's whole subtree, aliases expanded, against maxNodes
// before n goes to an UnmarshalYAML method: such a method decodes with a
// decoder of its own (DecodeNode), whose counts start again, so without
// the charge an alias repeated a thousand times would get a fresh budget
// each time.
func (d *decoder) charge(n *yaml.Node) bool {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if top != n && !d.visit(top) {
			return false
		}
		if top.Kind == yaml.AliasNode {
			if top.Alias != nil {
				stack = append(stack, top.Alias)
			}
			continue
		}
		stack = append(stack, top.Content...)
	}
	return true
}

func (d *decoder) decode(n *yaml.Node, rv reflect.Value) {
	if len(d.errs) >= maxErrors || d.tooBig {
		return
	}
	if !d.visit(n) {
		return
	}
	if n.Kind == yaml.AliasNode {
		d.decode(n.Alias, rv)
		return
	}
	before := len(d.errs)
	if rv.CanAddr() && rv.Addr().Type().Implements(unmarshalerType) {
		if !d.charge(n) {
			return
		}
		u := rv.Addr().Interface().(yaml.Unmarshaler)
		if err := u.UnmarshalYAML(n); err != nil {
			d.addErr(n, err)
			return
		}
		d.check(n, rv, before)
		return
	}
	switch rv.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			rv.SetZero()
			return
		}
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		d.decode(n, rv.Elem())
		return
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, "want a mapping (key: value) for %s, got %s", typeName(rv.Type()), describe(n))
			return
		}
		d.structure(n, rv, map[string]bool{})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, "want a list for %s, got %s", typeName(rv.Type()), describe(n))
			return
		}
		s := reflect.MakeSlice(rv.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i))
		}
		rv.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, "want a mapping for %s, got %s", typeName(rv.Type()), describe(n))
			return
		}
		d.mapping(n, rv, map[string]bool{})
	case reflect.Interface:
		var out any
		if err := n.Decode(&out); err != nil {
			d.addErr(n, err)
			return
		}
		if out != nil {
			rv.Set(reflect.ValueOf(out))
		}
	default:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, "want %s, got %s", typeName(rv.Type()), describe(n))
			return
		}
		if err := n.Decode(rv.Addr().Interface()); err != nil {
			d.fail(n, "want %s, got %q", typeName(rv.Type()), n.Value)
			return
		}
	}
	d.check(n, rv, before)
}

// check runs a Checker, unless decoding the value already failed (one
// problem, one message).
func (d *decoder) check(n *yaml.Node, rv reflect.Value, before int) {
	if len(d.errs) > before {
		return
	}
	if rv.CanAddr() && rv.Addr().Type().Implements(checkerType) {
		if err := rv.Addr().Interface().(Checker).Check(n); err != nil {
			d.addErr(n, err)
		}
	}
}

// structure decodes mapping n into struct rv. seen holds the keys already
// set: by the mapping that merged n in ("<<"), or earlier in n. Merge keys
// follow YAML's merge semantics: the mapping's own keys win over merged
// ones wherever the "<<" stands, and among merged mappings the first wins.
// Only a key written twice in the same mapping is a duplicate.
func (d *decoder) structure(n *yaml.Node, rv reflect.Value, seen map[string]bool) {
	fields := fieldsOf(rv.Type())
	own := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.visit(k) {
			return
		}
		if isMerge(k) {
			merges = append(merges, val)
			continue
		}
		path, ok := fields[k.Value]
		if !ok {
			d.fail(k, "unknown key %q in %s (known: %s)", k.Value, typeName(rv.Type()), strings.Join(sortedKeys(fields), ", "))
			continue
		}
		if own[k.Value] {
			d.fail(k, "duplicate key %q", k.Value)
			continue
		}
		own[k.Value] = true
		if seen[k.Value] {
			continue // set by the mapping that merged this one in
		}
		seen[k.Value] = true
		d.decode(val, fieldByPath(rv, path))
	}
	for _, m := range merges {
		d.merge(m, rv, seen)
	}
}

// merge applies the value of a merge key ("<<"): a mapping, an alias of
// one, or a list of them, into rv, skipping keys already seen.
func (d *decoder) merge(val *yaml.Node, rv reflect.Value, seen map[string]bool) {
	for val.Kind == yaml.AliasNode {
		if !d.visit(val) {
			return
		}
		val = val.Alias
	}
	switch {
	case val.Kind == yaml.MappingNode && rv.Kind() == reflect.Struct:
		d.structure(val, rv, seen)
	case val.Kind == yaml.MappingNode && rv.Kind() == reflect.Map:
		d.mapping(val, rv, seen)
	case val.Kind == yaml.SequenceNode:
		for _, m := range val.Content {
			if m.Kind == yaml.SequenceNode {
				d.fail(m, "a merge (<<) list holds mappings, got a list")
				continue
			}
			d.merge(m, rv, seen)
		}
	default:
		d.fail(val, "a merge (<<) needs a mapping or a list of mappings, got %s", describe(val))
	}
}

// mapping decodes mapping n into map rv, with the merge semantics of
// structure; seen holds the keys' text.
func (d *decoder) mapping(n *yaml.Node, rv reflect.Value, seen map[string]bool) {
	if rv.IsNil() {
		rv.Set(reflect.MakeMap(rv.Type()))
	}
	own := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.visit(k) {
			return
		}
		if isMerge(k) {
			merges = append(merges, val)
			continue
		}
		if own[k.Value] {
			d.fail(k, "duplicate key %q", k.Value)
			continue
		}
		own[k.Value] = true
		if seen[k.Value] {
			continue
		}
		seen[k.Value] = true
		kv := reflect.New(rv.Type().Key()).Elem()
		d.decode(k, kv)
		vv := reflect.New(rv.Type().Elem()).Elem()
		d.decode(val, vv)
		rv.SetMapIndex(kv, vv)
	}
	for _, m := range merges {
		d.merge(m, rv, seen)
	}
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge"
}

// fieldsOf maps yaml keys to field index paths, following ",inline".
func fieldsOf(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, p := range fieldsOf(f.Type) {
				out[k] = append([]int{i}, p...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func fieldByPath(rv reflect.Value, path []int) reflect.Value {
	for _, i := range path {
		rv = rv.Field(i)
	}
	return rv
}

func sortedKeys(m map[string][]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

// typeName is a user-facing name for a Go type.
func typeName(t reflect.Type) string {
	if t == durationType {
		return "a duration (e.g. 500ms, 2s)"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a mapping"
	case reflect.Struct:
		if t.Name() != "" {
			return strings.ToLower(t.Name())
		}
	}
	return t.String()
}
