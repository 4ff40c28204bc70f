package fault

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Trigger is when a fault fires. At most one condition is set; none means
// at once. Event conditions fire synchronously in the event's path, so the
// fault acts before the next message after its event.
type Trigger struct {
	// After fires this long after the spec is armed (scenario start, or
	// the inject step).
	After time.Duration `yaml:"after"`
	// APDU fires on a C-APDU the card receives.
	APDU *APDUMatch `yaml:"apdu"`
	// MTI fires when the DUT sends an ISO 8583 message of this type.
	MTI string `yaml:"mti"`
	// ECR fires when the DUT sends an ECR message of this kind (RESULT,
	// DISPLAY, ...); Text narrows DISPLAY messages by substring.
	ECR  string `yaml:"ecr"`
	Text string `yaml:"text"`
	// Bytes fires after this many bytes crossed the ECR line.
	Bytes int `yaml:"bytes"`
}

// APDUMatch selects C-APDUs: by INS (hex), by command name (SELECT,
// GPO, READ_RECORD, GET_DATA, VERIFY, GENERATE_AC, GET_RESPONSE), and the
// Nth match (from 1; left out: the first, or for a chip fault's own
// match, every one).
type APDUMatch struct {
	INS     string `yaml:"ins"`
	Command string `yaml:"command"`
	Nth     int    `yaml:"nth"`
}

// Commands maps command names onto INS bytes.
var Commands = map[string]byte{
	"SELECT":                0xA4,
	"GPO":                   0xA8,
	"READ_RECORD":           0xB2,
	"GET_DATA":              0xCA,
	"VERIFY":                0x20,
	"GENERATE_AC":           0xAE,
	"GET_RESPONSE":          0xC0,
	"GET_CHALLENGE":         0x84,
	"INTERNAL_AUTHENTICATE": 0x88,
}

// INSByte resolves the match's instruction byte; ok is false when the
// match names none (any APDU).
func (m *APDUMatch) INSByte() (byte, bool, error) {
	switch {
	case m.INS != "" && m.Command != "":
		return 0, false, fmt.Errorf("apdu: give ins or command, not both")
	case m.INS != "":
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(m.INS), "0x"), 16, 8)
		if err != nil {
			return 0, false, fmt.Errorf("apdu.ins %q: want one hex byte such as 20", m.INS)
		}
		return byte(v), true, nil
	case m.Command != "":
		v, ok := Commands[strings.ToUpper(m.Command)]
		if !ok {
			names := make([]string, 0, len(Commands))
			for k := range Commands {
				names = append(names, k)
			}
			return 0, false, fmt.Errorf("apdu.command %q: want one of %s", m.Command, strings.Join(names, ", "))
		}
		return v, true, nil
	}
	return 0, false, nil
}

// Check validates the APDU match: ins or command, and nth from 1.
func (m *APDUMatch) Check(n *yaml.Node) error {
	return m.check(n, "apdu", "the first")
}

// check validates the match in mapping n (an apdu trigger, or a chip
// fault's inline settings, named name); without nth the match is
// dflt.
func (m *APDUMatch) check(n *yaml.Node, name, dflt string) error {
	if _, _, err := m.INSByte(); err != nil {
		at := yamldoc.FindOr(n, "ins")
		if !given(n, "ins") {
			at = yamldoc.FindOr(n, "command")
		}
		return yamldoc.At(at, "%s: %v", name, err)
	}
	if given(n, "nth") && m.Nth < 1 {
		return yamldoc.At(yamldoc.FindOr(n, "nth"), "%s.nth %d: matches count from 1 (leave nth out for %s)", name, m.Nth, dflt)
	}
	return nil
}

// terminalSends are the ECR messages a terminal sends, that an ecr
// trigger can fire on.
var terminalSends = []ecr.Kind{ecr.Ready, ecr.Busy, ecr.Display, ecr.Event, ecr.Result}

// Check allows at most one condition, each with a value that can fire.
func (t *Trigger) Check(n *yaml.Node) error {
	set := 0
	for _, b := range []bool{given(n, "after"), t.APDU != nil, t.MTI != "", t.ECR != "", given(n, "bytes")} {
		if b {
			set++
		}
	}
	switch {
	case set > 1:
		return yamldoc.At(n, "when: give one condition (after, apdu, mti, ecr or bytes)")
	case given(n, "after") && t.After <= 0:
		return yamldoc.At(yamldoc.FindOr(n, "after"), "when.after %v: want a time above 0 (leave when out to fire at once)", t.After)
	case given(n, "bytes") && t.Bytes < 1:
		return yamldoc.At(yamldoc.FindOr(n, "bytes"), "when.bytes %d: want 1 or more bytes", t.Bytes)
	case t.Text != "" && t.ECR == "":
		return yamldoc.At(yamldoc.FindOr(n, "text"), "when.text narrows an ecr condition; add ecr: DISPLAY")
	case t.MTI != "" && (len(t.MTI) != 4 || strings.Trim(t.MTI, "0123456789") != ""):
		return yamldoc.At(yamldoc.FindOr(n, "mti"), "when.mti %q: want four digits such as 0200", t.MTI)
	case given(n, "mti") && t.MTI == "":
		return yamldoc.At(yamldoc.FindOr(n, "mti"), "when.mti: want four digits such as 0200")
	case given(n, "ecr") && !slices.ContainsFunc(terminalSends, func(k ecr.Kind) bool { return strings.EqualFold(string(k), t.ECR) }):
		return yamldoc.At(yamldoc.FindOr(n, "ecr"), "when.ecr %q: the terminal sends %v; a trigger on anything else never fires", t.ECR, terminalSends)
	}
	return nil
}

// Immediate reports whether the trigger fires at once.
func (t *Trigger) Immediate() bool {
	return t.After == 0 && t.APDU == nil && t.MTI == "" && t.ECR == "" && t.Bytes == 0
}

func (t *Trigger) String() string {
	switch {
	case t.After > 0:
		return fmt.Sprintf("after %v", t.After)
	case t.APDU != nil:
		s := "on APDU " + t.APDU.Command + t.APDU.INS
		if t.APDU.Nth > 1 {
			s += fmt.Sprintf(" #%d", t.APDU.Nth)
		}
		return s
	case t.MTI != "":
		return "on MTI " + t.MTI
	case t.ECR != "":
		return "on ECR " + t.ECR + " " + t.Text
	case t.Bytes > 0:
		return fmt.Sprintf("after %d bytes", t.Bytes)
	}
	return ""
}
