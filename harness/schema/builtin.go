package schema

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/fixtures/magstripe"
	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/scenario"
)

// Scenario is the JSON Schema of a scenario file, with every fault
// registered in this binary.
func Scenario() map[string]any {
	return NewGenerator().Document(reflect.TypeFor[scenario.Scenario](), "poshil scenario")
}

// Bench is the JSON Schema of a bench file.
func Bench() map[string]any {
	return NewGenerator().Document(reflect.TypeFor[bench.Bench](), "poshil bench")
}

// registerBuiltins describes the types that decode themselves, and adds
// the enums and descriptions that live in validation code.
func registerBuiltins(g *Generator) {
	g.SetType(reflect.TypeFor[outcome.Code](), func(*Generator, reflect.Type) map[string]any {
		codes := make([]any, len(outcome.All))
		for i, c := range outcome.All {
			codes[i] = string(c)
		}
		return map[string]any{"type": "string", "enum": codes, "description": "a canonical outcome code"}
	})
	g.SetType(reflect.TypeFor[scenario.Ref](), func(*Generator, reflect.Type) map[string]any {
		return map[string]any{"type": "string", "minLength": 1, "description": "a card profile on the shelf (poshil cards), e.g. visa-credit"}
	})
	g.SetType(reflect.TypeFor[scenario.Mutant](), func(*Generator, reflect.Type) map[string]any {
		return map[string]any{
			"type": "object",
			"properties": map[string]any{
				"name":   map[string]any{"type": "string", "minLength": 1, "description": "a reference terminal mutant (refterm --list-mutants)"},
				"reason": map[string]any{"type": "string", "minLength": 1, "description": "a substring the FAIL reason must contain"},
			},
			"required":             []any{"name", "reason"},
			"additionalProperties": false,
			"description":          "a mutant the scenario must catch and what its FAIL must say: {name: x, reason: \"expected outcome DECLINED\"}",
		}
	})
	g.SetType(reflect.TypeFor[scenario.Amount](), func(*Generator, reflect.Type) map[string]any { return amount() })
	g.SetType(reflect.TypeFor[scenario.Sale](), func(g *Generator, t reflect.Type) map[string]any {
		return g.Define(t, func() map[string]any {
			obj := g.Object(t)
			obj["required"] = []any{"amount"}
			return map[string]any{"anyOf": []any{amount(), obj}, "description": "a sale: `sale: 12.50` or `sale: {amount: 12.50, currency: 978}`"}
		})
	})
	g.SetType(reflect.TypeFor[scenario.Display](), func(g *Generator, t reflect.Type) map[string]any {
		return g.Define(t, func() map[string]any {
			obj := g.Object(t)
			obj["required"] = []any{"text"}
			return map[string]any{"anyOf": []any{map[string]any{"type": "string", "minLength": 1}, obj},
				"description": "wait for the terminal to show a text: `display: ENTER PIN` or `{text: ENTER PIN, within: 2s}`"}
		})
	})
	g.SetType(reflect.TypeFor[scenario.Step](), func(g *Generator, t reflect.Type) map[string]any {
		return g.Define(t, func() map[string]any {
			obj := g.Object(t)
			obj["minProperties"], obj["maxProperties"] = 1, 1
			obj["description"] = "one action: a mapping with exactly one key"
			return obj
		})
	})
	g.SetType(reflect.TypeFor[fault.Spec](), faultSpec)
	g.SetType(reflect.TypeFor[power.Voltage](), func(*Generator, reflect.Type) map[string]any {
		return map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]+)?\s*(n|u|µ|m|k)?V$`, "description": "a voltage with its unit: 4.2V, 3300mV"}
	})
	g.SetType(reflect.TypeFor[magstripe.Kind](), func(*Generator, reflect.Type) map[string]any {
		kinds := make([]any, len(magstripe.Kinds))
		for i, k := range magstripe.Kinds {
			kinds[i] = string(k)
		}
		return map[string]any{"type": "string", "enum": kinds}
	})

	step := reflect.TypeFor[scenario.Step]()
	g.SetField(step, "insert", map[string]any{"enum": []any{"chip"}})
	g.SetField(step, "pin", map[string]any{"enum": []any{"correct", "wrong"}})
	g.SetField(step, "key", map[string]any{"anyOf": []any{
		map[string]any{"enum": []any{"enter", "cancel", "clear"}},
		map[string]any{"type": "string", "pattern": "^[0-9]$", "description": "one digit: a menu choice"},
	}})
	for key, doc := range map[string]string{
		"sale":    "start a sale through the ECR",
		"insert":  "present the scenario's card to the chip reader",
		"remove":  "take the card out of the reader",
		"display": "wait until the terminal shows a text containing this",
		"pin":     "enter the card's PIN (correct) or a wrong one, then Enter; digits never reach evidence",
		"key":     "press a key on the terminal",
		"expect":  "wait for the terminal to report a code (event or result)",
		"swipe":   "swipe the scenario's card through the magstripe reader",
		"inject":  "arm a fault now; it fires on its own trigger",
		"clear":   "clear the fault with this id",
		"last":    "ask the terminal for its last transaction and check the answer",
		"wait":    "let time pass",
	} {
		g.SetField(step, key, map[string]any{"description": doc})
	}
	settle := Duration()
	settle["pattern"] = strings.Replace(settle["pattern"].(string), "^[-+]?", "^[+]?", 1)
	settle["description"] = fmt.Sprintf("how long to keep listening after the final result (and after a late host response or a fault's timed clear) before judging; never and one RESULT per sale hold through it. At least %v, default %v, shorter than the timeout", scenario.MinSettle, scenario.DefaultSettle)
	g.SetField(reflect.TypeFor[scenario.Expect](), "settle", settle)
	sc := reflect.TypeFor[scenario.Scenario]()
	for key, doc := range map[string]string{
		"name":    "what the scenario checks, one line",
		"labels":  "labels for --label-filter (Ginkgo syntax), no spaces or &|!,()/",
		"card":    "the card profile the steps present",
		"timeout": "bound on the whole scenario (default 30s)",
		"faults":  "faults armed when the scenario starts; each fires on its own trigger",
		"steps":   "the actions, in order",
		"expect":  "what the terminal must end with and must never report",
		"mutants": "reference terminal mutants this scenario must catch, each with a substring its FAIL reason must contain",
	} {
		g.SetField(sc, key, map[string]any{"description": doc})
	}
	g.SetField(sc, "labels", map[string]any{"items": map[string]any{"type": "string", "pattern": `^[^&|!,()/"' \t]+$`}})
	trig := reflect.TypeFor[fault.Trigger]()
	g.SetField(trig, "mti", map[string]any{"pattern": "^[0-9]{4}$", "type": []any{"string", "integer"}})
	g.SetField(trig, "ecr", map[string]any{"description": "an ECR message kind the DUT sends: RESULT, DISPLAY, EVENT, ..."})
	m := reflect.TypeFor[fault.APDUMatch]()
	g.SetField(m, "ins", map[string]any{"pattern": "^(0x)?[0-9A-Fa-f]{1,2}$", "type": []any{"string", "integer"}})
	names := make([]any, 0, len(fault.Commands))
	for n := range fault.Commands {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].(string) < names[j].(string) })
	g.SetField(m, "command", map[string]any{"enum": names})
}

// amount is money in major units, up to two decimals.
func amount() map[string]any {
	return map[string]any{
		"anyOf": []any{
			// No multipleOf 0.01: in binary floating point 19.99 is not a
			// multiple of 0.01, and validators other than poshil's would
			// reject it. Two decimals at most are checked on load.
			map[string]any{"type": "number", "exclusiveMinimum": 0},
			map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]{1,2})?$`},
		},
		"description": "an amount in major units with up to two decimals, e.g. 12.50",
	}
}

// faultSpec describes a fault entry: exactly one registered fault's key
// with its settings (reflected from the fault's struct), plus when, for
// and id. The fault names are those registered when the schema is made:
// regenerate it when faults are added.
func faultSpec(g *Generator, t reflect.Type) map[string]any {
	return g.Define(t, func() map[string]any {
		props := map[string]any{
			"when": g.Type(reflect.TypeFor[fault.Trigger]()),
			"for":  Duration(),
			"id":   map[string]any{"type": "string", "minLength": 1, "description": "names the fault for a clear step (default: its name)"},
		}
		var oneOf []any
		for _, name := range fault.Names() {
			f, err := fault.New(name)
			if err != nil {
				continue
			}
			props[name] = map[string]any{
				"anyOf":       []any{g.Type(reflect.TypeOf(f)), map[string]any{"type": "null"}},
				"description": fault.Doc(name),
			}
			oneOf = append(oneOf, map[string]any{"required": []any{name}})
		}
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false,
			"description": "a fault: {<fault name>: {settings}, when: {...}, for: 2s, id: name}"}
		if len(oneOf) > 0 {
			s["oneOf"] = oneOf
		}
		return s
	})
}
