package runner

import (
	"context"
	"time"

	"github.com/poshil/poshil/drivers/lineproxy"
	"github.com/poshil/poshil/drivers/serial"
	"github.com/poshil/poshil/harness/bench"
)

// openBound bounds opening a line: connecting to a port server and the
// RFC 2217 negotiation.
const openBound = 10 * time.Second

// openLine opens a bench line that is not emulated: a device path, or a
// port server's rfc2217:// or tcp:// address.
func openLine(ctx context.Context, l bench.Line) (serial.Port, error) {
	octx, cancel := context.WithTimeout(ctx, openBound)
	defer cancel()
	return serial.OpenAddr(octx, l.Port, serial.Options{Baud: l.Baud})
}

// joinLine opens a line that is not emulated and puts the line fault
// proxy in it (bench line proxy: true).
func joinLine(ctx context.Context, l bench.Line) (*lineproxy.Emulated, error) {
	far, err := openLine(ctx, l)
	if err != nil {
		return nil, err
	}
	e, err := lineproxy.NewJoined(context.WithoutCancel(ctx), far, lineproxy.Options{})
	if err != nil {
		far.Close()
		return nil, err
	}
	return e, nil
}
