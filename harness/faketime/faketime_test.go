package faketime

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset time.Duration
		start  string
	}{
		{in: "+30y", offset: 30 * 365 * 24 * time.Hour},
		{in: "-400d", offset: -400 * 24 * time.Hour},
		{in: "+2.5h", offset: 150 * time.Minute},
		{in: "-90m", offset: -90 * time.Minute},
		{in: "+15s", offset: 15 * time.Second},
		{in: "-15", offset: -15 * time.Second},
		{in: "@2023-06-15 12:00:00", start: "2023-06-15 12:00:00"},
	} {
		c, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if c.Offset != tc.offset {
			t.Errorf("Parse(%q).Offset = %v, want %v", tc.in, c.Offset, tc.offset)
		}
		if tc.start != "" && c.Start.Format(time.DateTime) != tc.start {
			t.Errorf("Parse(%q).Start = %v, want %s", tc.in, c.Start, tc.start)
		}
		if c.String() != tc.in {
			t.Errorf("String() = %q, want %q", c.String(), tc.in)
		}
	}
}

// Forms libfaketime has and poshil does not apply (frozen time, speed,
// intervals) are refused, never half applied.
func TestParseRefuses(t *testing.T) {
	for _, in := range []string{"", "2023-06-15 12:00:00", "@2023-06-15", "@2023-13-45 12:00:00", "+1d x2", "+1w", "1d", "+1d i2.0", "@2023-06-15 12:00:00 x10", "+300y", "now"} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", in, err)
		}
	}
}

func TestNow(t *testing.T) {
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	now := start.Add(90 * time.Second)
	abs, _ := Parse("@2023-06-15 12:00:00")
	if got, want := abs.Now(start, now), abs.Start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("@ clock: %v, want %v (it runs from its start)", got, want)
	}
	off, _ := Parse("-2d")
	if got, want := off.Now(start, now), now.Add(-48*time.Hour); !got.Equal(want) {
		t.Errorf("offset clock: %v, want %v", got, want)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if _, ok, err := FromEnv(get); ok || err != nil {
		t.Fatalf("no variable: ok %v err %v", ok, err)
	}
	env["FAKETIME"] = "-1d"
	if c, ok, err := FromEnv(get); !ok || err != nil || c.Offset != -24*time.Hour {
		t.Fatalf("FAKETIME alone: %v %v %v", c, ok, err)
	}
	env[Var] = "+1d"
	if c, ok, _ := FromEnv(get); !ok || c.Offset != 24*time.Hour {
		t.Fatalf("%s wins over FAKETIME: %v", Var, c)
	}
	env[Var] = "x10"
	if _, ok, err := FromEnv(get); ok || !errors.Is(err, ErrSyntax) {
		t.Fatalf("bad value: ok %v err %v", ok, err)
	}
}

func TestEnv(t *testing.T) {
	e := Env("+1d", "/lib/libfaketime.so.1", "/other.so")
	for _, want := range []string{"FAKETIME=+1d", Var + "=+1d", "FAKETIME_DONT_FAKE_MONOTONIC=1", "LD_PRELOAD=/lib/libfaketime.so.1 /other.so"} {
		if !slices.Contains(e, want) {
			t.Errorf("Env lacks %q: %q", want, e)
		}
	}
	for _, v := range Env("+1d", "", "/other.so") {
		if strings.HasPrefix(v, "LD_PRELOAD=") {
			t.Errorf("no library, yet %q", v)
		}
	}
}

func TestLibraryVar(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "libfaketime.so.1")
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	get := func(k string) string {
		if k == LibVar {
			return lib
		}
		return ""
	}
	if got := Library(get); got != lib {
		t.Errorf("Library = %q, want %q", got, lib)
	}
	missing := func(k string) string {
		if k == LibVar {
			return lib + ".gone"
		}
		return ""
	}
	if got := Library(missing); got != "" {
		t.Errorf("a named library that is not there: %q, want none", got)
	}
}

// TestLibfaketimeDate runs coreutils' date (a dynamically linked C
// program) with the environment Env gives: libfaketime moves its clock.
// It needs libfaketime (Debian package faketime, or POSHIL_LIBFAKETIME).
func TestLibfaketimeDate(t *testing.T) {
	lib := Library(os.Getenv)
	if lib == "" {
		t.Skip("libfaketime not installed (apt-get install faketime)")
	}
	for _, tc := range []struct{ value, want string }{
		{"@2023-06-15 12:00:00", "2023-06-15"},
		{"+30y", time.Now().Add(30 * 365 * 24 * time.Hour).Format(time.DateOnly)},
	} {
		cmd := exec.Command("date", "+%Y-%m-%d")
		cmd.Env = append(os.Environ(), Env(tc.value, lib, "")...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("date under libfaketime: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("FAKETIME=%q: date says %s, want %s", tc.value, got, tc.want)
		}
	}
}
