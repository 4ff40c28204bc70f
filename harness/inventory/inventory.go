// Package inventory is the inventory file: the benches of a lab, each with
// its bench file and its capabilities (chip, magstripe, power control, line
// relay, printer), firmware version and labels. Match assigns scenarios to
// the benches that can run them and reports, before anything runs, every
// scenario no bench can run and why.
//
// It describes benches; it does not lease them (package lease) or bring
// them up (package runner). Default is the embedded inventory: N emulated
// benches, N from the machine (DefaultCount).
package inventory

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/harness/bench"
	"github.com/poshil/poshil/harness/scenario"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Inventory is one decoded inventory file.
type Inventory struct {
	Benches []*Bench `yaml:"benches"`

	// File is where the inventory was loaded from.
	File string `yaml:"-"`
}

// Bench is one bench of an inventory.
type Bench struct {
	// Name identifies the bench in leases, reports and `poshil benches`.
	Name string `yaml:"name"`
	// File is the bench file, relative to the inventory; empty means the
	// embedded emulated bench.
	File string `yaml:"bench"`
	// Has lists capabilities the bench declares (scenario.Capabilities);
	// those its bench file implies are added (see Caps).
	Has []string `yaml:"has"`
	// Firmware is the version of the firmware on the bench's DUT.
	Firmware string `yaml:"firmware"`
	// Labels name the bench's lab, model, anything needs.labels asks for.
	Labels []string `yaml:"labels"`

	// Caps is Has and what the bench file's parts imply, sorted.
	Caps []string `yaml:"-"`
	// Desc is the loaded bench file.
	Desc *bench.Bench `yaml:"-"`
	// At is where the bench is written.
	At yamldoc.Pos `yaml:"-"`
}

// Check refuses nameless and duplicate benches and unknown capabilities.
func (inv *Inventory) Check(n *yaml.Node) error {
	var errs yamldoc.Errors
	list := yamldoc.Find(n, "benches")
	if len(inv.Benches) == 0 {
		errs = append(errs, yamldoc.At(yamldoc.FindOr(n, "benches"), "inventory needs at least one bench").(*yamldoc.Error))
	}
	seen := map[string]bool{}
	for i, b := range inv.Benches {
		item := yamldoc.Item(list, i)
		if b == nil {
			errs = append(errs, yamldoc.At(item, "bench %d is empty", i+1).(*yamldoc.Error))
			continue
		}
		b.At = yamldoc.Pos{Line: item.Line, Col: item.Column}
		switch {
		case strings.TrimSpace(b.Name) == "" || strings.ContainsAny(b.Name, "/ \t\n"):
			errs = append(errs, yamldoc.At(yamldoc.FindOr(item, "name"), "bench name %q: want a name without spaces or /", b.Name).(*yamldoc.Error))
		case seen[b.Name]:
			errs = append(errs, yamldoc.At(yamldoc.FindOr(item, "name"), "bench %q is listed twice", b.Name).(*yamldoc.Error))
		}
		seen[b.Name] = true
		has := yamldoc.Find(item, "has")
		for j, c := range b.Has {
			if !slices.Contains(scenario.Capabilities, c) {
				errs = append(errs, yamldoc.At(yamldoc.Item(has, j), "has %q: not a capability (want one of %s)", c, strings.Join(scenario.Capabilities, ", ")).(*yamldoc.Error))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Load reads an inventory and the bench file of each of its benches
// (relative to the inventory's folder); every problem is file:line:col.
func Load(path string) (*Inventory, error) {
	var inv Inventory
	if err := yamldoc.ReadFile(path, &inv); err != nil {
		return nil, err
	}
	inv.File = path
	var errs yamldoc.Errors
	for _, b := range inv.Benches {
		b.At.File = path
		var err error
		if b.File == "" {
			b.Desc, err = bench.Default()
		} else {
			f := b.File
			if !filepath.IsAbs(f) {
				f = filepath.Join(filepath.Dir(path), f)
			}
			b.Desc, err = bench.Load(f)
		}
		if err != nil {
			errs = append(errs, &yamldoc.Error{Pos: b.At, Msg: fmt.Sprintf("bench %s: %v", b.Name, err)})
			continue
		}
		b.complete()
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &inv, nil
}

// EmulatedFirmware is the firmware of the embedded emulated bench (the
// reference terminal's READY version).
const EmulatedFirmware = "refterm-1.0"

// DefaultCount is how many emulated benches the embedded inventory has:
// two per CPU, at least 4, at most 16 (one pcscd takes 16 readers).
func DefaultCount() int { return min(max(2*runtime.NumCPU(), 4), 16) }

// Default is the embedded inventory: DefaultCount emulated benches named
// emulated-1, emulated-2, ...
func Default() (*Inventory, error) {
	inv := &Inventory{File: "(embedded) inventory"}
	for i := 1; i <= DefaultCount(); i++ {
		d, err := bench.Default()
		if err != nil {
			return nil, err
		}
		b := &Bench{Name: fmt.Sprintf("emulated-%d", i), Firmware: EmulatedFirmware, Labels: []string{"emulated"}, Desc: d,
			At: yamldoc.Pos{File: inv.File}}
		b.complete()
		inv.Benches = append(inv.Benches, b)
	}
	return inv, nil
}

// complete sets Caps from Has and the bench file's parts.
func (b *Bench) complete() {
	caps := slices.Clone(b.Has)
	if b.Desc != nil {
		for _, p := range b.Desc.Parts() {
			if c := scenario.PartCap(p); c != "" {
				caps = append(caps, c)
			}
		}
	}
	slices.Sort(caps)
	b.Caps = slices.Compact(caps)
}

// Get returns the bench named name, or nil.
func (inv *Inventory) Get(name string) *Bench {
	for _, b := range inv.Benches {
		if b.Name == name {
			return b
		}
	}
	return nil
}
