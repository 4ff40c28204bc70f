package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/poshil/poshil/drivers/ifd
BenchmarkPresence/ours-2   	      30	   1200000 ns/op	         1.0 p50-insert-ms	         2.6 p99-insert-ms
pkg: github.com/poshil/poshil/fixtures/emvcrypto
BenchmarkARQC-2   	    2000	     21600 ns/op	     512 B/op	       9 allocs/op
PASS
`

// TestTable: every benchmark becomes a row with its package and all its
// metrics, custom ones included; output with no results is an error.
func TestTable(t *testing.T) {
	rows, err := read(strings.NewReader(sample), "sample")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Metrics["p50-insert-ms"] != 1.0 || rows[1].Metrics["B/op"] != 512 {
		t.Fatalf("rows %+v", rows)
	}
	var b bytes.Buffer
	if err := table(&b, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"drivers/ifd", "Presence/ours", "1.2 ms/op", "2.6 p99-insert-ms", "fixtures/emvcrypto", "21.6 µs/op"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := read(strings.NewReader("PASS\n"), "empty"); err == nil {
		t.Error("no results accepted")
	}
}
