package ifd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeConf writes the bench configuration ci/readerconf.sh prints for lib
// ("" for stock vpcd only) into a fresh directory.
func writeConf(t *testing.T, lib string) string {
	t.Helper()
	args := []string{"../../ci/readerconf.sh"}
	if lib != "" {
		args = append(args, lib)
	}
	out, err := exec.Command("bash", args...).Output()
	if err != nil {
		t.Fatalf("readerconf.sh: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "poshil"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	// pcscd skips dot files; so does ReadConfig.
	if err := os.WriteFile(filepath.Join(dir, ".vpcd"), []byte("FRIENDLYNAME \"Hidden\"\nDEVICENAME /dev/null:1\nLIBPATH /x/"+LibName+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckOurs(t *testing.T) {
	lib := filepath.Join(t.TempDir(), LibName)
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Check(writeConf(t, lib))
	if err != nil {
		t.Fatal(err)
	}
	if s.Ours == nil || s.Stock == nil {
		t.Fatalf("Check = %v, want ours and stock", s)
	}
	o, st := *s.Ours, *s.Stock
	if o.Name != "Virtual PCD" || o.Port != 35963 || o.Slots != 4 || o.Lib != lib {
		t.Errorf("ours = %+v", o)
	}
	if st.Name != "Stock vpcd" || st.Port != 35973 || st.Slots != 2 {
		t.Errorf("stock = %+v", st)
	}
	if got := o.SlotName(2); got != "Virtual PCD 00 02" {
		t.Errorf("SlotName(2) = %q", got)
	}
	if got := st.SlotAddr(1); got != "127.0.0.1:35974" {
		t.Errorf("SlotAddr(1) = %q", got)
	}
	if !strings.HasPrefix(s.String(), "poshil IFD driver:") {
		t.Errorf("String = %q", s)
	}
}

func TestCheckStockOnly(t *testing.T) {
	s, err := Check(writeConf(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if s.Ours != nil || s.Stock == nil {
		t.Fatalf("Check = %v, want stock only", s)
	}
	if s.Stock.Name != "Virtual PCD" || s.Stock.Port != 35963 {
		t.Errorf("stock = %+v (CHANNELID 0x8C7B is 35963)", *s.Stock)
	}
	if !strings.Contains(s.String(), "stock vpcd: poshil IFD driver not configured") {
		t.Errorf("String = %q", s)
	}
}

func TestCheckLibraryMissing(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "gone", LibName)
	s, err := Check(writeConf(t, lib))
	if err != nil {
		t.Fatal(err)
	}
	if s.Ours != nil || s.Missing != lib {
		t.Fatalf("Check = %+v, want ours missing", s)
	}
	if !strings.Contains(s.String(), "not installed ("+lib+" missing)") {
		t.Errorf("String = %q", s)
	}
}

func TestReadConfigErrors(t *testing.T) {
	if _, err := ReadConfig(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("ReadConfig of a missing directory: no error")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad"), []byte("DEVICENAME /dev/null:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfig(dir); err == nil || !strings.Contains(err.Error(), "bad:1:") {
		t.Errorf("ReadConfig: %v, want file:line error", err)
	}
}
