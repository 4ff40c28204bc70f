// Package schema generates JSON Schemas (draft 2020-12) for the YAML files
// people write: scenarios and benches. The schema is reflected from the Go
// types that harness/yamldoc decodes (yaml tags, ",inline", "-"), so it
// follows the types as they grow: new steps, new fault kinds (each
// registered fault's struct becomes a property of a fault entry), new
// bench parts. Editors use it through yaml-language-server for completion
// and red squiggles while typing.
//
// Types that decode themselves (a custom UnmarshalYAML) cannot be
// reflected; they are described by hand here (see builtin.go), or by the
// type itself through JSONSchemaer, or else accepted as anything. The
// schema helps editors; it is not the validator: `poshil validate` and
// the loaders are, with file:line:col messages.
package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Draft is the JSON Schema dialect of every generated document.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// JSONSchemaer is implemented by types that describe their own YAML form,
// typically because they have a custom UnmarshalYAML. The method is
// called on a zero value.
type JSONSchemaer interface {
	JSONSchema() map[string]any
}

// TypeFunc describes type t; it may use g for the types t contains.
type TypeFunc func(g *Generator, t reflect.Type) map[string]any

var (
	durationType     = reflect.TypeFor[time.Duration]()
	unmarshalerType  = reflect.TypeFor[yaml.Unmarshaler]()
	jsonSchemaerType = reflect.TypeFor[JSONSchemaer]()
)

// Generator reflects Go types into one JSON Schema document. Named struct
// types become $defs entries referenced by $ref, so recursion and sharing
// cost nothing. A Generator is for one document; it is not safe for
// concurrent use.
type Generator struct {
	types  map[reflect.Type]TypeFunc
	fields map[reflect.Type]map[string]map[string]any
	defs   map[string]any
	names  map[reflect.Type]string
}

// NewGenerator returns a generator that knows the harness's own types
// with custom decoding (see builtin.go).
func NewGenerator() *Generator {
	g := &Generator{
		types:  map[reflect.Type]TypeFunc{},
		fields: map[reflect.Type]map[string]map[string]any{},
		defs:   map[string]any{},
		names:  map[reflect.Type]string{},
	}
	registerBuiltins(g)
	return g
}

// SetType describes t (and *t) by f instead of reflection.
func (g *Generator) SetType(t reflect.Type, f TypeFunc) { g.types[t] = f }

// SetField merges extra keywords (enum, pattern, description) into the
// schema of the field with YAML key key of struct type t.
func (g *Generator) SetField(t reflect.Type, key string, extra map[string]any) {
	if g.fields[t] == nil {
		g.fields[t] = map[string]map[string]any{}
	}
	m := g.fields[t][key]
	if m == nil {
		m = map[string]any{}
		g.fields[t][key] = m
	}
	for k, v := range extra {
		m[k] = v
	}
}

// Document returns the schema of root as a complete document.
func (g *Generator) Document(root reflect.Type, title string) map[string]any {
	for root.Kind() == reflect.Pointer {
		root = root.Elem()
	}
	doc := map[string]any{}
	if root.Kind() == reflect.Struct {
		doc = g.Object(root)
	} else {
		for k, v := range g.Type(root) {
			doc[k] = v
		}
	}
	doc["$schema"] = Draft
	doc["title"] = title
	if len(g.defs) > 0 {
		doc["$defs"] = g.defs
	}
	return doc
}

// Type is the schema of t: a $ref for named structs, inline otherwise.
func (g *Generator) Type(t reflect.Type) map[string]any {
	for {
		if f, ok := g.types[t]; ok {
			return f(g, t)
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	if t.Implements(jsonSchemaerType) {
		return reflect.Zero(t).Interface().(JSONSchemaer).JSONSchema()
	}
	if reflect.PointerTo(t).Implements(jsonSchemaerType) {
		return reflect.New(t).Interface().(JSONSchemaer).JSONSchema()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return map[string]any{"$comment": t.String() + " decodes itself (UnmarshalYAML) and has no schema: anything is accepted here"}
	}
	if t == durationType {
		return Duration()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.Name() == "" {
			return g.Object(t)
		}
		return g.Define(t, func() map[string]any { return g.Object(t) })
	case reflect.String:
		// yaml.v3 puts any scalar into a string: `currency: 978` is fine.
		return map[string]any{"type": []any{"string", "number", "boolean"}}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.Type(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.Type(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	}
	return map[string]any{"$comment": "unsupported Go type " + t.String()}
}

// Define puts the schema made by build under $defs once and returns a
// $ref to it.
func (g *Generator) Define(t reflect.Type, build func() map[string]any) map[string]any {
	name := g.defName(t)
	ref := map[string]any{"$ref": "#/$defs/" + name}
	if _, ok := g.defs[name]; ok {
		return ref
	}
	g.defs[name] = map[string]any{} // placeholder: recursion ends at the $ref
	g.defs[name] = build()
	return ref
}

// defName is "package.Type", made unique if two packages share both.
func (g *Generator) defName(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	pkg := t.PkgPath()
	base := pkg[strings.LastIndex(pkg, "/")+1:] + "." + t.Name()
	name := base
	for i := 2; g.taken(name); i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	g.names[t] = name
	return name
}

func (g *Generator) taken(name string) bool {
	for _, n := range g.names {
		if n == name {
			return true
		}
	}
	return false
}

// Object is the schema of struct t: its YAML keys as properties, nothing
// else allowed (yamldoc rejects unknown keys).
func (g *Generator) Object(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.properties(t, props)
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

// properties adds t's fields to props the way yamldoc finds them.
func (g *Generator) properties(t reflect.Type, props map[string]any) {
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
			g.properties(f.Type, props)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		s := copyMap(g.Type(f.Type))
		for k, v := range g.fields[t][name] {
			s[k] = v
		}
		props[name] = s
	}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Duration is the schema of a time.Duration: Go's duration syntax.
func Duration() map[string]any {
	return map[string]any{
		"type":        "string",
		"pattern":     `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`,
		"description": "a duration such as 500ms, 2s or 1m30s",
	}
}

// Marshal renders a schema as indented JSON with a final newline.
func Marshal(s map[string]any) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return append(b, '\n'), nil
}
