// Command benchtable turns `go test -bench` output into the one table
// `make bench` prints, and a JSON file of the same numbers:
//
//	go test -run '^$' -bench . ./... | tee out/bench.txt
//	go run ./ci/benchtable -json out/bench.json out/bench.txt
//
// Each row is one benchmark (package and name) with every metric it
// reported: ns/op, B/op, allocs/op and its own (p50-insert-ms, ...).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
)

// Row is one benchmark's numbers.
type Row struct {
	Package string             `json:"package"`
	Name    string             `json:"name"`
	Iters   int                `json:"iterations"`
	Metrics map[string]float64 `json:"metrics"`
}

func main() {
	jsonOut := flag.String("json", "", "also write the rows as JSON to this file")
	flag.Parse()
	var in io.Reader = os.Stdin
	name := "stdin"
	if flag.NArg() == 1 {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		defer f.Close()
		in, name = f, flag.Arg(0)
	}
	rows, err := read(in, name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if err := table(os.Stdout, rows); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rows, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
	}
}

// read parses benchmark results; a file with none is an error (the
// benchmarks did not run).
func read(in io.Reader, name string) ([]Row, error) {
	r := benchfmt.NewReader(in, name)
	var rows []Row
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		row := Row{Package: string(res.GetConfig("pkg")), Name: string(res.Name.Full()), Iters: res.Iters, Metrics: map[string]float64{}}
		for _, v := range res.Values {
			row.Metrics[v.Unit] = v.Value
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New(name + ": no benchmark results")
	}
	return rows, nil
}

// table prints one line per benchmark: its package, its name and its
// metrics, time per op first.
func table(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "package\tbenchmark\tmetrics")
	for _, r := range rows {
		units := make([]string, 0, len(r.Metrics))
		for u := range r.Metrics {
			units = append(units, u)
		}
		slices.SortFunc(units, func(a, b string) int {
			if (a == "sec/op") != (b == "sec/op") {
				if a == "sec/op" {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		var ms []string
		for _, u := range units {
			ms = append(ms, format(r.Metrics[u], u))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.TrimPrefix(r.Package, "github.com/poshil/poshil/"), r.Name, strings.Join(ms, "  "))
	}
	return tw.Flush()
}

// format shows a value with its unit; time per op in a readable unit.
func format(v float64, unit string) string {
	if unit == "sec/op" {
		switch {
		case v >= 1:
			return fmt.Sprintf("%.3g s/op", v)
		case v >= 1e-3:
			return fmt.Sprintf("%.3g ms/op", v*1e3)
		case v >= 1e-6:
			return fmt.Sprintf("%.3g µs/op", v*1e6)
		}
		return fmt.Sprintf("%.3g ns/op", v*1e9)
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}
