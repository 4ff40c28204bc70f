package emulated

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/physic"
)

func TestParseState(t *testing.T) {
	tests := []struct {
		in   string
		want State
		bad  string // substring of the error
	}{
		{in: "poshil-supply v1 output=on millivolts=4200 seq=7\n", want: State{Output: true, Voltage: 4200 * physic.MilliVolt, Seq: 7}},
		{in: "poshil-supply v1 output=off millivolts=0 seq=0\n", want: State{}},
		{in: "poshil-supply v1 output=on millivolts=1000000 seq=18446744073709551615\n", want: State{Output: true, Voltage: 1000 * physic.Volt, Seq: 1<<64 - 1}},
		{in: "poshil-supply v1 output=on millivolts=4200 seq=7", bad: "no newline"},
		{in: "poshil-supply v2 output=on millivolts=4200 seq=7\n", bad: "version"},
		{in: "poshil-supply v1 output=yes millivolts=4200 seq=7\n", bad: "output=on"},
		{in: "poshil-supply v1 output=on millivolts=-1 seq=7\n", bad: "millivolts"},
		{in: "poshil-supply v1 output=on millivolts=+1 seq=7\n", bad: "millivolts"},
		{in: "poshil-supply v1 output=on millivolts=1000001 seq=7\n", bad: "millivolts"},
		{in: "poshil-supply v1 output=on millivolts= seq=7\n", bad: "millivolts"},
		{in: "poshil-supply v1 output=on volts=4 seq=7\n", bad: "millivolts"},
		{in: "poshil-supply v1 output=on millivolts=4200 seq=x\n", bad: "seq"},
		{in: "poshil-supply v1 output=on millivolts=4200 seq=18446744073709551616\n", bad: "seq"},
		{in: "poshil-supply v1 output=on millivolts=4200  seq=7\n", bad: "want"},
		{in: "poshil-supply v1 output=on millivolts=4200 seq=7 x=1\n", bad: "want"},
		{in: "poshil-supply v1 output=on millivolts=4200 seq=7\r\n", bad: "seq"},
		{in: "", bad: "no newline"},
		{in: "\n", bad: "want"},
		{in: strings.Repeat("x", MaxStateSize+1), bad: "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			st, err := ParseState([]byte(tt.in))
			if tt.bad != "" {
				if err == nil || !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("ParseState = %+v, %v; want ErrState containing %q", st, err, tt.bad)
				}
				return
			}
			if err != nil || st != tt.want {
				t.Fatalf("ParseState = %+v, %v; want %+v", st, err, tt.want)
			}
			b, err := st.MarshalText()
			if err != nil || string(b) != tt.in {
				t.Errorf("MarshalText = %q, %v; want %q", b, err, tt.in)
			}
		})
	}
}

func TestMarshalRejects(t *testing.T) {
	for _, v := range []physic.ElectricPotential{-physic.MilliVolt, 1001 * physic.Volt, 4200*physic.MilliVolt + 1} {
		if _, err := (State{Voltage: v}).MarshalText(); !errors.Is(err, ErrState) {
			t.Errorf("MarshalText(%v) = %v, want ErrState", v, err)
		}
	}
}

func TestReadWriteState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supply.state")
	if _, err := ReadState(path); !errors.Is(err, ErrState) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("missing file: %v", err)
	}
	want := State{Output: true, Voltage: 3900 * physic.MilliVolt, Seq: 3}
	if err := WriteState(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(path)
	if err != nil || got != want {
		t.Fatalf("ReadState = %+v, %v; want %+v", got, err, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := os.WriteFile(path, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadState(path); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), path) {
		t.Errorf("garbage: %v", err)
	}
	if err := WriteState(filepath.Join(path, "nodir", "x"), want); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func FuzzParseState(f *testing.F) {
	f.Add([]byte("poshil-supply v1 output=on millivolts=4200 seq=7\n"))
	f.Add([]byte("poshil-supply v1 output=off millivolts=0 seq=0\n"))
	f.Add([]byte("poshil-supply v1 output=on millivolts=99999999999999999999 seq=1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseState(b)
		if err != nil {
			if !errors.Is(err, ErrState) {
				t.Fatalf("error %v is not ErrState", err)
			}
			return
		}
		out, err := st.MarshalText()
		if err != nil || string(out) != string(b) {
			t.Fatalf("%q parsed to %+v, marshals to %q, %v", b, st, out, err)
		}
	})
}
