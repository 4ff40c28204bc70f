// Package buildinfo says which poshil is running: its module version and
// the VCS revision it was built from, both read from the Go build info
// (runtime/debug), so a binary, its --version and the records it writes
// agree without a version constant to keep up to date.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Info is what the build info tells about this binary.
type Info struct {
	// Version is the module version ("v1.2.3", or a pseudo-version for
	// `go install ...@commit`); "(devel)" for a build in a checkout.
	Version string
	// Revision is the VCS commit the binary was built from, "" if unknown
	// (go test, or a build with -buildvcs=false).
	Revision string
	// Modified says the work tree had uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built it.
	GoVersion string
}

// Read returns this binary's Info; zero fields where the build info is
// missing.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "(devel)"}
	}
	return parse(bi)
}

func parse(bi *debug.BuildInfo) Info {
	in := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// Short is one word for records and headers: the module version when it
// is a release or pseudo-version, else the revision's first 12 hex digits
// (with "+dirty" for a modified tree), else "dev".
func (in Info) Short() string {
	if in.Version != "" && in.Version != "(devel)" {
		return in.Version
	}
	if in.Revision == "" {
		return "dev"
	}
	rev := in.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if in.Modified {
		rev += "+dirty"
	}
	return rev
}

// String is the --version line: "poshil VERSION (revision REV[, modified]) GO".
func (in Info) String() string {
	var b strings.Builder
	b.WriteString("poshil ")
	b.WriteString(in.Version)
	rev := in.Revision
	if rev == "" {
		rev = "unknown"
	}
	b.WriteString(" (revision " + rev)
	if in.Modified {
		b.WriteString(", modified")
	}
	b.WriteString(")")
	if in.GoVersion != "" {
		b.WriteString(" " + in.GoVersion)
	}
	return b.String()
}
