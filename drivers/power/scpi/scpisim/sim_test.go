package scpisim

import (
	"strings"
	"testing"

	"periph.io/x/conn/v3/physic"
)

const mV = physic.MilliVolt

func TestHandle(t *testing.T) {
	type step struct {
		cmd, reply string // reply "" = none
	}
	tests := []struct {
		name    string
		steps   []step
		output  bool
		voltage physic.ElectricPotential
	}{
		{"identity", []step{{"*IDN?", "POSHIL,SCPISIM,0,1.0"}, {"*OPC?", "1"}}, false, 4200 * mV},
		{"short forms", []step{{"VOLT 3.3", ""}, {"OUTP ON", ""}, {"MEAS:VOLT?", "+3.300000E+00"}, {"SYST:ERR?", `0,"No error"`}}, true, 3300 * mV},
		{"long forms and case", []step{{":source:voltage:level 5.000", ""}, {"OUTPut:STATe 1", ""}, {"MEASure:SCALar:VOLTage:DC?", "+5.000000E+00"}, {"volt?", "5.000"}, {"outp?", "1"}}, true, 5 * physic.Volt},
		{"units", []step{{"VOLT 3300mV", ""}, {"VOLT?", "3.300"}, {"VOLT 4.2V", ""}, {"VOLT?", "4.200"}, {"VOLT 1.2E+01", ""}, {"VOLT?", "12.000"}}, false, 12 * physic.Volt},
		{"min max def", []step{{"VOLT MAX", ""}, {"VOLT?", "30.000"}, {"VOLT MIN", ""}, {"VOLT?", "0.000"}, {"VOLT DEF", ""}}, false, 4200 * mV},
		{"output off measures 0", []step{{"OUTP OFF", ""}, {"MEAS:VOLT?", "+0.000000E+00"}}, false, 4200 * mV},
		{"out of range", []step{{"VOLT 31", ""}, {"SYST:ERR?", `-222,"Data out of range"`}, {"SYST:ERR?", `0,"No error"`}}, false, 4200 * mV},
		{"negative", []step{{"VOLT -1", ""}, {"SYST:ERR:NEXT?", `-222,"Data out of range"`}}, false, 4200 * mV},
		{"bad number", []step{{"VOLT four", ""}, {"VOLT 0x4p0", ""}, {"VOLT NaN", ""}, {"SYST:ERR?", `-104,"Data type error"`}, {"SYST:ERR?", `-104,"Data type error"`}, {"SYST:ERR?", `-104,"Data type error"`}}, false, 4200 * mV},
		{"bad header", []step{{"VOLTA 3", ""}, {"FOO?", ""}, {"SYST:ERR?", `-113,"Undefined header"`}, {"SYST:ERR?", `-113,"Undefined header"`}}, false, 4200 * mV},
		{"bad output value", []step{{"OUTP MAYBE", ""}, {"SYST:ERR?", `-224,"Illegal parameter value"`}}, false, 4200 * mV},
		{"missing parameter", []step{{"OUTP", ""}, {"SYST:ERR?", `-109,"Missing parameter"`}}, false, 4200 * mV},
		{"parameter on query", []step{{"VOLT? 3", ""}, {"SYST:ERR?", `-108,"Parameter not allowed"`}}, false, 4200 * mV},
		{"compound", []step{{"VOLT 3.9;OUTP ON;MEAS:VOLT?;*OPC?", "+3.900000E+00;1"}}, true, 3900 * mV},
		{"clear and reset", []step{{"VOLT 99", ""}, {"*CLS", ""}, {"SYST:ERR?", `0,"No error"`}, {"OUTP ON", ""}, {"*RST", ""}, {"OUTP?", "0"}}, false, 4200 * mV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := New(nil)
			for _, s := range tt.steps {
				got, ok := in.Handle(s.cmd)
				if got != s.reply || ok != (s.reply != "") {
					t.Fatalf("%q: reply %q (%v), want %q", s.cmd, got, ok, s.reply)
				}
			}
			if out, v := in.State(); out != tt.output || v != tt.voltage {
				t.Errorf("state %v %v, want %v %v", out, v, tt.output, tt.voltage)
			}
		})
	}
}

func TestQueueOverflow(t *testing.T) {
	in := New(nil)
	for range 40 {
		in.Handle("BOGUS")
	}
	var codes []string
	for {
		r, _ := in.Handle("SYST:ERR?")
		codes = append(codes, strings.SplitN(r, ",", 2)[0])
		if r == `0,"No error"` {
			break
		}
	}
	if len(codes) != maxQueue+1 || codes[maxQueue-1] != "-350" {
		t.Errorf("queue after 40 errors: %v", codes)
	}
}

func FuzzHandle(f *testing.F) {
	for _, s := range []string{"*IDN?", "VOLT 4.2", "VOLT 3300mV;OUTP ON;MEAS:VOLT?", ":sour:volt:lev?", "SYST:ERR?", "VOLT 1e400", "OUTP:STAT 1", ";;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		in := New(nil)
		reply, ok := in.Handle(line)
		if ok == (reply == "") || strings.ContainsAny(reply, "\r\n") {
			t.Fatalf("%q: reply %q, %v", line, reply, ok)
		}
		if out, v := in.State(); v < 0 || v > 30*physic.Volt || (out && !strings.Contains(strings.ToUpper(line), "OUTP")) {
			t.Fatalf("%q: state %v %v", line, out, v)
		}
		if len(in.queue) > maxQueue {
			t.Fatalf("queue grew to %d", len(in.queue))
		}
	})
}
