package scenario

import (
	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/yamldoc"
)

// ReceiptExpect is checked against the receipts the bench's emulated
// printer printed during the scenario:
//
//	expect:
//	  receipt: {count: 2, contains: [APPROVED, "12.50"], lacks: [DECLINED], same: true}
type ReceiptExpect struct {
	// Count is the number of receipts printed, those an error cut short
	// included.
	Count *int `yaml:"count"`
	// Contains are texts the last receipt must hold (case-insensitive).
	Contains []string `yaml:"contains"`
	// Lacks are texts no receipt may hold (case-insensitive).
	Lacks []string `yaml:"lacks"`
	// Same requires the last receipt to be a copy of the earlier ones:
	// every line of every earlier receipt is on it (a copy may add a
	// marker such as DUPLICATE; a partial receipt's lines count too).
	Same bool `yaml:"same"`

	// At is where each part is written.
	At ReceiptAt `yaml:"-"`
}

// ReceiptAt is where each part of expect.receipt is written.
type ReceiptAt struct {
	Receipt, Count, Same yamldoc.Pos
	Contains, Lacks      []yamldoc.Pos
}

// ContainsAt is the position of Contains[i].
func (a ReceiptAt) ContainsAt(i int) yamldoc.Pos {
	if i < len(a.Contains) {
		return a.Contains[i]
	}
	return a.Receipt
}

// LacksAt is the position of Lacks[i].
func (a ReceiptAt) LacksAt(i int) yamldoc.Pos {
	if i < len(a.Lacks) {
		return a.Lacks[i]
	}
	return a.Receipt
}

// Check bounds the block and remembers where each part is written.
func (r *ReceiptExpect) Check(n *yaml.Node) error {
	r.At = ReceiptAt{Receipt: pos(n)}
	keys := keyNodes(n)
	r.At.Count, r.At.Same = r.At.Receipt, r.At.Receipt
	if v := keys["count"]; v != nil {
		r.At.Count = pos(v)
	}
	if v := keys["same"]; v != nil {
		r.At.Same = pos(v)
	}
	for k, dst := range map[string]*[]yamldoc.Pos{"contains": &r.At.Contains, "lacks": &r.At.Lacks} {
		if v := resolve(keys[k]); v != nil && v.Kind == yaml.SequenceNode {
			for _, item := range v.Content {
				*dst = append(*dst, pos(item))
			}
		}
	}
	if r.Count == nil && len(r.Contains) == 0 && len(r.Lacks) == 0 && !r.Same {
		return yamldoc.At(n, "expect.receipt needs count, contains, lacks or same")
	}
	for i, s := range r.Contains {
		if s == "" {
			return yamldoc.At(yamldoc.FindOr(n, "contains"), "expect.receipt.contains[%d] is empty", i)
		}
	}
	return notNegative(yamldoc.Find(n, "count"), "count", r.Count)
}
