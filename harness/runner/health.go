package runner

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/poshil/poshil/drivers/pcsc"
	"github.com/poshil/poshil/harness/bench"
)

// Health checks, without leasing or moving anything, that b's parts are
// there: pcscd answers and lists the bench's reader, each serial device
// exists, each remote port accepts a connection (which is closed at
// once). The first problem found is the reason the bench is unhealthy.
// It does not boot the DUT.
func Health(ctx context.Context, b *bench.Bench) error {
	c, err := pcsc.Open()
	if err != nil {
		return fmt.Errorf("pcscd: %w", err)
	}
	defer c.Close()
	readers, err := c.Readers(ctx)
	if err != nil {
		return fmt.Errorf("pcscd: %w", err)
	}
	if !slices.Contains(readers, b.Card.Reader) {
		return fmt.Errorf("reader %q not found (readers: %q)", b.Card.Reader, readers)
	}
	for _, l := range []*bench.Line{&b.ECR, b.MSR} {
		switch {
		case l == nil || l.Port == "" || l.Emulated():
		case l.Remote():
			_, hp, _ := strings.Cut(l.Port, "://")
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", hp)
			if err != nil {
				return fmt.Errorf("serial %s: %w", l.Port, err)
			}
			conn.Close()
		default:
			if _, err := os.Stat(l.Port); err != nil {
				return fmt.Errorf("serial %w", err)
			}
		}
	}
	return nil
}
