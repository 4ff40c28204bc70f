package runner

import (
	"context"
	"fmt"
	"sync"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/dut"
)

// lazyProcess is the process adapter's link: it exists before the DUT
// process does (the session needs it to start its receive loop), gets its
// pipes when the process starts, and gets new ones when a power cut
// restarts it.
type lazyProcess struct {
	mu    sync.Mutex
	link  *dut.ProcessLink
	ready chan struct{} // closed once the first process is attached
	once  sync.Once
}

func (l *lazyProcess) readyCh() chan struct{} {
	l.once.Do(func() { l.ready = make(chan struct{}) })
	return l.ready
}

// attach hands a started process's pipes to the link.
func (l *lazyProcess) attach(p Process, prof *dut.Profile, tap func(dir, line string)) error {
	pp, ok := p.(Piped)
	if !ok {
		return fmt.Errorf("the process adapter needs the DUT's stdin and stdout")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := p.(*perSaleDUT); ok {
		return l.attachPerSale(d, prof, tap)
	}
	stdin, stdout := pp.Pipes()
	if l.link == nil {
		pl, err := dut.NewProcess(stdin, stdout, prof, tap)
		if err != nil {
			return err
		}
		l.link = pl
		close(l.readyCh())
		return nil
	}
	return l.link.Attach(stdin, stdout)
}

// get waits (under ctx) for the first process.
func (l *lazyProcess) get(ctx context.Context) (*dut.ProcessLink, error) {
	select {
	case <-l.readyCh():
	case <-ctx.Done():
		return nil, fmt.Errorf("no DUT process: %w", ctx.Err())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.link, nil
}

func (l *lazyProcess) Send(ctx context.Context, m ecr.Message) error {
	pl, err := l.get(ctx)
	if err != nil {
		return err
	}
	return pl.Send(ctx, m)
}

func (l *lazyProcess) Receive(ctx context.Context) (ecr.Message, error) {
	pl, err := l.get(ctx)
	if err != nil {
		return ecr.Message{}, err
	}
	return pl.Receive(ctx)
}

func (l *lazyProcess) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.link == nil {
		return nil
	}
	return l.link.Close()
}
