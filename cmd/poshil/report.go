package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

const reportUsage = `usage:
  poshil report merge -o OUT.json RECORD.json...   join records (CI shards) into one
  poshil report html [-o OUT.html] RECORD.json...  HTML report (records merged first)
  poshil report pcap [-o DIR] RECORD.json...       pcapng per scenario under DIR/pcap/

exit codes: 0 written, 2 cannot write, 3 bad input
`

// cmdReport makes reports from run records: merge, html, pcap.
func cmdReport(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, reportUsage)
		return verdict.ExitInvalid
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("poshil report "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var out string
	switch sub {
	case "merge":
		fs.StringVar(&out, "o", "", "merged record to write (required)")
	case "html":
		fs.StringVar(&out, "o", "out/report.html", "HTML file to write")
	case "pcap":
		fs.StringVar(&out, "o", "out", "directory for pcap/*.pcapng")
	case "help", "-h", "--help":
		fmt.Fprint(stdout, reportUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "poshil report: unknown subcommand %q\n\n%s", sub, reportUsage)
		return verdict.ExitInvalid
	}
	if err := fs.Parse(args); err != nil {
		return verdict.ExitInvalid
	}
	if fs.NArg() == 0 || out == "" {
		fmt.Fprintf(stderr, "poshil report %s: give -o and at least one record\n\n%s", sub, reportUsage)
		return verdict.ExitInvalid
	}
	var recs []report.Record
	for _, p := range fs.Args() {
		r, err := report.ReadFile(p)
		if err != nil {
			fmt.Fprintf(stderr, "poshil report: %v\n", err)
			return verdict.ExitInvalid
		}
		recs = append(recs, r)
	}
	rec := recs[0]
	if len(recs) > 1 {
		rec = report.Merge(recs...)
	}
	var err error
	switch sub {
	case "merge":
		err = report.WriteFile(out, rec)
	case "html":
		err = report.WriteHTMLFile(out, rec)
	case "pcap":
		err = report.WritePcaps(out, &rec)
		out = filepath.Join(out, report.PcapDir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "poshil report %s: %v\n", sub, err)
		if errors.Is(err, report.ErrRecord) {
			return verdict.ExitInvalid
		}
		return verdict.ExitBenchError
	}
	c := verdict.Counts(rec.Results)
	fmt.Fprintf(stdout, "poshil report: %s (%d scenarios: %d passed, %d failed, %d bench errors, %d invalid)\n",
		out, len(rec.Results), c[verdict.Pass], c[verdict.Fail], c[verdict.BenchError], c[verdict.Invalid])
	return 0
}
