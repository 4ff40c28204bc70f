package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		bi        debug.BuildInfo
		short     string
		longParts []string
	}{
		{"release", debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}},
			"v1.2.3", []string{"poshil v1.2.3", "revision 0123456789abcdef0123", "go1.26"}},
		{"checkout, dirty", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}},
			"0123456789ab+dirty", []string{"poshil (devel)", "revision 0123456789abcdef0123, modified"}},
		{"nothing known", debug.BuildInfo{}, "dev", []string{"poshil (devel) (revision unknown)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := parse(&tt.bi)
			if got := in.Short(); got != tt.short {
				t.Errorf("Short() = %q, want %q", got, tt.short)
			}
			for _, p := range tt.longParts {
				if !strings.Contains(in.String(), p) {
					t.Errorf("String() = %q, want it to contain %q", in.String(), p)
				}
			}
		})
	}
}
