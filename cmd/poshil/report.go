package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/harness/report"
	"github.com/poshil/poshil/harness/verdict"
)

func init() { register(newReportCmd) }

func newReportCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "report",
		Short: "Make reports from run records: merge, html, pcap",
		Long: `Make reports from run records (record.json, written by poshil run).

Exit codes: 0 written, 2 cannot write, 3 bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError(cmd, fmt.Errorf("which report? (merge, html, pcap)"))
		},
	}
	sub := func(name, use, short, def, outHelp string) {
		var out string
		s := &cobra.Command{
			Use:   name + " " + use,
			Short: short,
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if out == "" {
					return fmt.Errorf("-o is required")
				}
				return a.exit(cmdReport(name, out, args, a.stdout, a.stderr))
			},
		}
		s.Flags().StringVarP(&out, "out", "o", def, outHelp)
		s.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"json"}, cobra.ShellCompDirectiveFilterFileExt
		}
		c.AddCommand(s)
	}
	sub("merge", "-o OUT.json RECORD.json...", "Join the records of CI shards into one", "", "merged record to write (required)")
	sub("html", "[-o OUT.html] RECORD.json...", "The HTML report of records (merged first)", "out/report.html", "HTML file to write")
	sub("pcap", "[-o DIR] RECORD.json...", "pcapng traces per scenario under DIR/pcap/", "out", "directory for pcap/*.pcapng")
	return c
}

// cmdReport makes the report sub (merge, html, pcap) of records at out.
func cmdReport(sub, out string, records []string, stdout, stderr io.Writer) int {
	var recs []report.Record
	for _, p := range records {
		r, err := report.ReadFile(p)
		if err != nil {
			fmt.Fprintf(stderr, "poshil report: %v\n", err)
			return verdict.ExitInvalid
		}
		if sub != "pcap" { // pcap writes the traces anew
			// Trace links lead from the new file to each record's traces.
			r.Rebase(filepath.Dir(p), filepath.Dir(out))
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
