package scpi

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/power"
)

func TestParseVolts(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want physic.ElectricPotential
		bad  bool
	}{
		{in: "4.2", want: 4200 * physic.MilliVolt},
		{in: "4", want: 4 * physic.Volt},
		{in: "+4.200000E+00", want: 4200 * physic.MilliVolt},
		{in: " 3.3000\r", want: 3300 * physic.MilliVolt},
		{in: "0.0001", want: 100 * physic.MicroVolt},
		{in: "-0.002", want: -2 * physic.MilliVolt},
		{in: "9.9E37", bad: true},
		{in: "1001", bad: true},
		{in: "NaN", bad: true},
		{in: "inf", bad: true},
		{in: "0x1p2", bad: true},
		{in: "1_0", bad: true},
		{in: "", bad: true},
		{in: "4.2V", bad: true},
		{in: `0,"No error"`, bad: true},
	} {
		got, err := parseVolts(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrProtocol) {
				t.Errorf("parseVolts(%q) = %v, %v; want ErrProtocol", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseVolts(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseError(t *testing.T) {
	for _, tt := range []struct {
		in   string
		code int
		msg  string
		bad  bool
	}{
		{in: `0,"No error"`, code: 0, msg: "No error"},
		{in: `-222,"Data out of range"`, code: -222, msg: "Data out of range"},
		{in: `+0, "No error"`, code: 0, msg: "No error"},
		{in: `-113,"Undefined header;VOLTA 3"`, code: -113, msg: "Undefined header;VOLTA 3"},
		{in: `-100,"say ""hi"""`, code: -100, msg: `say "hi"`},
		{in: `-222`, bad: true},
		{in: `x,"No error"`, bad: true},
		{in: `-222,Data out of range`, bad: true},
		{in: `-222,"`, bad: true},
		{in: `99999,"big"`, bad: true},
		{in: ``, bad: true},
	} {
		code, msg, err := parseError(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrProtocol) {
				t.Errorf("parseError(%q) = %d %q %v; want ErrProtocol", tt.in, code, msg, err)
			}
			continue
		}
		if err != nil || code != tt.code || msg != tt.msg {
			t.Errorf("parseError(%q) = %d %q %v; want %d %q", tt.in, code, msg, err, tt.code, tt.msg)
		}
	}
}

func TestFormatVolts(t *testing.T) {
	for _, tt := range []struct {
		v    physic.ElectricPotential
		want string
	}{
		{4200 * physic.MilliVolt, "4.200"},
		{0, "0.000"},
		{12 * physic.Volt, "12.000"},
		{3899600 * physic.MicroVolt, "3.900"},
		{1 * physic.MilliVolt, "0.001"},
	} {
		if got := formatVolts(tt.v); got != tt.want {
			t.Errorf("formatVolts(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestInstrumentErrorIs(t *testing.T) {
	e := &InstrumentError{Code: -222, Msg: "Data out of range", Command: "VOLT 99.000"}
	if !errors.Is(e, ErrInstrument) || !errors.Is(e, power.ErrRange) {
		t.Error("-222 should be ErrInstrument and power.ErrRange")
	}
	if errors.Is(&InstrumentError{Code: -113}, power.ErrRange) {
		t.Error("-113 is not a range error")
	}
}

func FuzzParseReplies(f *testing.F) {
	for _, s := range []string{"4.2", "+4.200000E+00", `0,"No error"`, `-222,"Data out of range"`, "9.9E37", `,""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseVolts(s); err == nil && (v > maxVolts*physic.Volt || v < -maxVolts*physic.Volt) {
			t.Fatalf("parseVolts(%q) = %v, out of bounds", s, v)
		} else if err != nil && !errors.Is(err, ErrProtocol) {
			t.Fatalf("parseVolts(%q): %v is not ErrProtocol", s, err)
		}
		if _, _, err := parseError(s); err != nil && !errors.Is(err, ErrProtocol) {
			t.Fatalf("parseError(%q): %v is not ErrProtocol", s, err)
		}
	})
}
