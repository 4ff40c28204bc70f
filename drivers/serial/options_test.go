package serial

import (
	"errors"
	"testing"
)

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Options
		err  bool
	}{
		{in: "115200 8N1", want: Options{115200, 8, "N", 1}},
		{in: "9600,7E1", want: Options{9600, 7, "E", 1}},
		{in: "19200", want: Options{19200, 8, "none", 1}},
		{in: "2400 8o2", want: Options{2400, 8, "O", 2}},
		{in: "", err: true},
		{in: "fast", err: true},
		{in: "9600 9N1", err: true},
		{in: "9600 8X1", err: true},
		{in: "9600 8N3", err: true},
		{in: "-1 8N1", err: true},
		{in: "9600 8N1 extra", err: true},
	} {
		got, err := ParseOptions(tc.in)
		if tc.err {
			if !errors.Is(err, ErrOptions) {
				t.Errorf("ParseOptions(%q) err = %v, want ErrOptions", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseOptions(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestOptionsMode(t *testing.T) {
	for _, tc := range []struct {
		opt  Options
		str  string
		fail bool
	}{
		{opt: Options{}, str: "115200 8N1"},
		{opt: Options{Baud: 9600, DataBits: 7, Parity: "even", StopBits: 2}, str: "9600 7E2"},
		{opt: Options{Parity: "Space"}, str: "115200 8S1"},
		{opt: Options{DataBits: 4}, fail: true},
		{opt: Options{StopBits: 3}, fail: true},
		{opt: Options{Parity: "sometimes"}, fail: true},
		{opt: Options{Baud: -5}, fail: true},
	} {
		_, err := tc.opt.mode()
		if tc.fail != (err != nil) || (err != nil && !errors.Is(err, ErrOptions)) {
			t.Errorf("%+v: err = %v", tc.opt, err)
		}
		if !tc.fail && tc.opt.String() != tc.str {
			t.Errorf("%+v: String() = %q, want %q", tc.opt, tc.opt.String(), tc.str)
		}
	}
}
