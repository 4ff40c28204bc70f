package power_test

import (
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/harness/yamldoc"
)

func TestParseVoltage(t *testing.T) {
	tests := []struct {
		in   string
		want physic.ElectricPotential
		bad  bool
	}{
		{in: "4.2V", want: 4200 * physic.MilliVolt},
		{in: "3300mV", want: 3300 * physic.MilliVolt},
		{in: "4.2v", want: 4200 * physic.MilliVolt},
		{in: "0V", want: 0},
		{in: "12V", want: 12 * physic.Volt},
		{in: "850mV", want: 850 * physic.MilliVolt},
		{in: "4.2", bad: true},
		{in: "4.2 volts", bad: true},
		{in: "4.2 V", bad: true},
		{in: "4.2A", bad: true},
		{in: "4.2kV", want: 4200 * physic.Volt},
		{in: "", bad: true},
		{in: "V", bad: true},
		{in: "4.2xV", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := power.ParseVoltage(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseVoltage(%q) = %v, want an error", tt.in, v)
				}
				if !errors.Is(err, power.ErrBadVoltage) || !strings.Contains(err.Error(), tt.in) {
					t.Errorf("error %q: want ErrBadVoltage naming the input", err)
				}
				return
			}
			if err != nil || v.Potential() != tt.want {
				t.Fatalf("ParseVoltage(%q) = %v, %v; want %v", tt.in, v, err, tt.want)
			}
		})
	}
}

func TestVoltageYAML(t *testing.T) {
	type doc struct {
		To  power.Voltage `yaml:"to"`
		Nom power.Voltage `yaml:"nominal"`
	}
	var d doc
	if err := yamldoc.Decode("s.yaml", []byte("to: 4.2V\nnominal: 3300mV\n"), &d); err != nil {
		t.Fatal(err)
	}
	if d.To.Potential() != 4200*physic.MilliVolt || d.Nom.Potential() != 3300*physic.MilliVolt {
		t.Errorf("decoded %v %v", d.To, d.Nom)
	}
	if d.To.String() != "4.2V" {
		t.Errorf("String = %q", d.To.String())
	}
	for _, tt := range []struct{ doc, want string }{
		{"to: 4.2 volts\n", "s.yaml:1:5: "},
		{"nominal: 5V\nto: 4.2\n", "s.yaml:2:5: "},
		{"to: [4.2V]\n", "s.yaml:1:5: "},
		{"to:\n", "s.yaml:1:4: "},
	} {
		err := yamldoc.Decode("s.yaml", []byte(tt.doc), &doc{})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, yamldoc.ErrInvalid) {
			t.Errorf("%q: error %v, want it to start %q", tt.doc, err, tt.want)
		}
	}
}

func FuzzParseVoltage(f *testing.F) {
	for _, s := range []string{"4.2V", "3300mV", "0V", "-1V", "1e3V", "9999999999GV", "4.2", "µV"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := power.ParseVoltage(s)
		if err != nil {
			if !errors.Is(err, power.ErrBadVoltage) {
				t.Fatalf("error %v is not ErrBadVoltage", err)
			}
			return
		}
		back, err := power.ParseVoltage(v.String())
		if err != nil || back != v {
			t.Fatalf("%q -> %v -> %v, %v: does not round-trip", s, v, back, err)
		}
	})
}

func TestVoltageString(t *testing.T) {
	for _, tt := range []struct {
		v    physic.ElectricPotential
		want string
	}{
		{4200 * physic.MilliVolt, "4.2V"},
		{3300 * physic.MilliVolt, "3.3V"},
		{850 * physic.MilliVolt, "850mV"},
		{0, "0V"},
		{12 * physic.Volt, "12V"},
		{-1500 * physic.MilliVolt, "-1.5V"},
		{1500 * physic.MicroVolt, "1.5mV"},
		{7, "7nV"},
		{1000001 * physic.Volt, "1000001V"},
	} {
		if got := power.Voltage(tt.v).String(); got != tt.want {
			t.Errorf("Voltage(%d).String() = %q, want %q", int64(tt.v), got, tt.want)
		}
	}
}
