// Package bench is the bench file: one DUT and everything wired to it, named
// part by part (card reader and card emulator, ECR line, acquirer host, the
// DUT process). Load decodes a file strictly with file:line:col errors;
// Default is the embedded, fully emulated bench that needs no hardware.
//
// It describes a bench; bringing it up is the runner's job.
package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/dut"
	"github.com/poshil/poshil/harness/fault"
	"github.com/poshil/poshil/harness/yamldoc"
)

// Bench is one decoded bench file.
type Bench struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Card        Card   `yaml:"card"`
	ECR         Line   `yaml:"ecr"`
	MSR         *Line  `yaml:"msr"`
	Host        Host   `yaml:"host"`
	Power       *Power `yaml:"power"`
	DUT         DUT    `yaml:"dut"`
	// Printer is the DUT's receipt printer line: "emulated" for poshil's
	// ESC/POS printer on a pty (receipts captured, printer faults), or a
	// device path the DUT is given as is.
	Printer *Line `yaml:"printer"`
	// Keypad is the DUT's PIN pad line: "emulated" for poshil's keypad
	// controller on a pty (key events with its own clock; keypad faults),
	// given to the DUT as {keypad}. With one, pin and key steps are typed
	// on it instead of sent as ECR KEY messages.
	Keypad *Line `yaml:"keypad"`

	// File is where the bench was loaded from ("(embedded) emulated.yaml"
	// for the default).
	File string `yaml:"-"`
}

// Card is the card side: the PC/SC reader the DUT reads, and where the
// harness plugs emulated cards in.
type Card struct {
	// Reader is the PC/SC reader name the DUT uses.
	Reader string `yaml:"reader"`
	// Emulator is the vpcd slot address (host:port) behind Reader; empty on
	// a bench with a real reader and real cards.
	Emulator string `yaml:"emulator"`
}

// Line is a serial line between the harness and the DUT.
type Line struct {
	// Port is a device path, or "emulated" for a pseudo-terminal pair whose
	// far end the DUT opens.
	Port string `yaml:"port"`
	Baud int    `yaml:"baud"`
	// Proxy puts poshil's line fault proxy between the harness and a
	// port that is not emulated (a remote port, a USB adapter), so line
	// faults (cut, bit errors, delay) work on it. An emulated line always
	// has it.
	Proxy bool `yaml:"proxy"`
	// Format is what an emulated swipe reader sends (msr only): "ascii"
	// (the default: decoded track characters) or "raw" (the bits its head
	// clocked, for a DUT that decodes them itself; see package magstripe).
	Format string `yaml:"format"`
}

// Remote reports whether the line is a port server's (rfc2217://host:port
// or tcp://host:port, e.g. exported by ser2net) rather than a device.
func (l Line) Remote() bool {
	return strings.HasPrefix(l.Port, "rfc2217://") || strings.HasPrefix(l.Port, "tcp://")
}

// Emulated reports whether the line is a pty pair made by the harness.
// An emulated line always runs through poshil's line proxy, so line faults
// (cut, bit errors, delay) work on it.
func (l Line) Emulated() bool { return l.Port == "emulated" }

// Host is the acquirer the DUT sends authorisations to.
type Host struct {
	// Emulated, when set, runs poshil's ISO 8583 host on Listen.
	Emulated *EmulatedHost `yaml:"emulated"`
	// Address is a real test host (host:port); then no ledger checks.
	Address string `yaml:"address"`
	// Proxy puts poshil's TCP fault proxy between the DUT and the host,
	// so network faults work; the DUT is given the proxy's address.
	Proxy bool `yaml:"proxy"`
	// TLS, when set, makes the emulated host serve TLS (see HostTLS).
	TLS *HostTLS `yaml:"tls"`
	// DNS gives the DUT the host as a name, served by poshil's DNS
	// server (see HostDNS).
	DNS *HostDNS `yaml:"dns"`
}

// EmulatedHost configures the emulated acquirer.
type EmulatedHost struct {
	Listen  string          `yaml:"listen"`
	Default string          `yaml:"default"`
	Rules   []acquirer.Rule `yaml:"rules"`
	// Expose allows a Listen address beyond loopback (other machines
	// can then reach the emulated host); poshil run warns about it.
	Expose bool `yaml:"expose"`
	// Terminals are the terminal master keys (TMK) the host delivers
	// working keys under at sign-on, by terminal ID; others use the
	// published test TMK (check value 8BAF47).
	Terminals []acquirer.TerminalKey `yaml:"terminals"`
	// MAC is "required" to refuse (63) requests without a MAC; by default
	// only the MACs present are checked.
	MAC string `yaml:"mac"`
}

// DUT is the device under test and how the harness talks to it.
type DUT struct {
	// Adapter is how outcomes are read: "ecr" (the framed ECR protocol).
	Adapter string `yaml:"adapter"`
	// BootTimeout bounds the wait for the DUT's first READY.
	BootTimeout time.Duration `yaml:"boot_timeout"`
	// Process, when set, is a DUT the harness starts itself (an emulated
	// terminal, or firmware built for the host).
	Process *Process `yaml:"process"`
	// Profile maps a third-party DUT's own texts and codes onto ECR
	// messages and canonical outcomes (adapters console and process): a
	// shipped name (fixtures/profiles) or a path; a relative path is
	// from the working folder, {bench_dir}/... from the bench file's.
	Profile string `yaml:"profile"`
	// ProfileAt is where the bench names the profile, for a later error.
	ProfileAt yamldoc.Pos `yaml:"-"`

	// Prof is the loaded Profile.
	Prof *dut.Profile `yaml:"-"`
}

// Process is a DUT run as a host process, started for every scenario.
type Process struct {
	// Command is argv; a bare name is looked up beside the poshil binary,
	// then in $POSHIL_BIN, then on $PATH. Placeholders: {config} {ecr}
	// {msr} {reader} {host} {journal} {supply} {workdir} {bench_dir}
	// {printer} {keypad} {host_ca}.
	Command []string `yaml:"command"`
	// Config, when set, is written as JSON to {config} with placeholders
	// in its string values expanded.
	Config map[string]any `yaml:"config"`
	// Env adds environment variables (placeholders expanded).
	Env map[string]string `yaml:"env"`
	// Clock says how the DUT takes a wrong clock (fault clock):
	// "libfaketime" (a dynamically linked program: libfaketime must be
	// installed, else the scenario is BENCH_ERROR), "env" (the program
	// reads POSHIL_FAKETIME itself, as the reference terminal does), or
	// empty: libfaketime when installed, and POSHIL_FAKETIME always.
	Clock string `yaml:"clock"`
	// ProgramAt is where the bench file names the program (Command[0]),
	// for an error about it.
	ProgramAt yamldoc.Pos `yaml:"-"`
}

// Placeholders that Process.Command and Process.Config may use.
var Placeholders = []string{"{config}", "{ecr}", "{msr}", "{reader}", "{host}", "{journal}", "{supply}", "{workdir}", BenchDir, "{printer}", "{keypad}", HostCA}

// BenchDir is the placeholder for the folder of the bench file, so a bench
// names its programs and profile relative to itself, wherever poshil runs.
const BenchDir = "{bench_dir}"

// Dir is the folder of the bench file (the working folder for the
// embedded bench), absolute when it can be made so.
func (b *Bench) Dir() string {
	if b.File == "" || !fileExists(b.File) { // the embedded bench
		d, _ := os.Getwd()
		return d
	}
	d, err := filepath.Abs(filepath.Dir(b.File))
	if err != nil {
		return filepath.Dir(b.File)
	}
	return d
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Load reads and validates a bench file.
func Load(path string) (*Bench, error) {
	var b Bench
	if err := yamldoc.ReadFile(path, &b); err != nil {
		return nil, err
	}
	b.File = path
	b.placeFile()
	if err := b.loadProfile(); err != nil {
		return nil, err
	}
	return &b, nil
}

// ParseDoc validates a bench from a root node of yamldoc.Parse, named file
// in errors.
func ParseDoc(file string, root *yaml.Node) (*Bench, error) {
	var b Bench
	if err := yamldoc.DecodeDoc(file, root, &b); err != nil {
		return nil, err
	}
	b.File = file
	b.placeFile()
	if err := b.loadProfile(); err != nil {
		return nil, err
	}
	return &b, nil
}

// loadProfile loads a profile named relative to the bench file, which
// the checks at decode time cannot: they do not know the file.
func (b *Bench) loadProfile() error {
	if b.DUT.Prof != nil || !strings.Contains(b.DUT.Profile, BenchDir) {
		return nil
	}
	path := strings.ReplaceAll(b.DUT.Profile, BenchDir, b.Dir())
	p, err := dut.LoadProfile(path)
	if err != nil {
		at := b.DUT.ProfileAt
		at.File = b.File
		var ye *yamldoc.Error
		if errors.As(err, &ye) {
			return err // the profile's own file:line:col
		}
		return &yamldoc.Error{Pos: at, Msg: fmt.Sprintf("dut.profile: %v", err)}
	}
	b.DUT.Prof = p
	return nil
}

// placeFile completes the positions kept for later errors with the file.
func (b *Bench) placeFile() {
	if p := b.DUT.Process; p != nil {
		p.ProgramAt.File = b.File
	}
}

// Default is the embedded, fully emulated bench.
func Default() (*Bench, error) {
	name, data := benches.Emulated()
	var b Bench
	if err := yamldoc.Decode(name, data, &b); err != nil {
		return nil, err
	}
	b.File = name
	b.placeFile()
	return &b, nil
}

// Parts lists what the bench has for faults, steps and expectations to act
// on (see package plan).
func (b *Bench) Parts() []fault.Part {
	var ps []fault.Part
	if b.Card.Emulator != "" {
		ps = append(ps, fault.PartCard)
	}
	if b.Host.Emulated != nil {
		ps = append(ps, fault.PartHost)
	}
	if b.DUT.Process != nil {
		ps = append(ps, fault.PartDUT)
		if b.DUT.Process.Config != nil {
			ps = append(ps, fault.PartDUTConfig)
		}
	}
	if b.MSR != nil && b.MSR.Emulated() {
		ps = append(ps, fault.PartMSR)
	}
	if b.ECR.Emulated() || b.ECR.Proxy {
		ps = append(ps, fault.PartLine)
	}
	if b.Host.Proxy {
		ps = append(ps, fault.PartNetwork)
	}
	if b.Host.TLS != nil && b.Host.Emulated != nil {
		ps = append(ps, fault.PartHostTLS)
	}
	if b.Host.DNS != nil {
		ps = append(ps, fault.PartDNS)
	}
	if b.Power != nil {
		ps = append(ps, fault.PartSupply)
	}
	if b.Power.Variable() {
		ps = append(ps, fault.PartVoltage)
	}
	if b.Printer != nil && b.Printer.Emulated() {
		ps = append(ps, fault.PartPrinter)
	}
	if b.Keypad != nil && b.Keypad.Emulated() {
		ps = append(ps, fault.PartKeypad)
	}
	return ps
}
