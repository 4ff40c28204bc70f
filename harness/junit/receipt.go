package junit

import (
	"fmt"
	"strings"

	"github.com/poshil/poshil/harness/evidence"
)

// receipts appends the receipts the emulated printer printed, after the
// transcript.
func receipts(b *strings.Builder, rs []evidence.Receipt) {
	for i, r := range rs {
		note := ""
		if !r.Cut {
			note = " (cut short by a printer error)"
		}
		fmt.Fprintf(b, "--- receipt %d at %.3fms%s\n%s\n", i+1, float64(r.At.Microseconds())/1000, note, r.Text)
	}
}
