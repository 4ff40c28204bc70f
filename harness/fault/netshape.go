package fault

import (
	"context"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/harness/yamldoc"
)

func init() {
	Register("net_shape", "the link to the host is poor, as a weak signal or congestion makes it: {latency: 400ms, jitter: 150ms, distribution: normal|uniform, loss: 0.1, rate: 2000 (bytes/s), burst: 1460, mss: 1460, seed: 1}",
		func() Fault { return &NetShape{} })
}

// NetShape shapes the TCP path between the terminal and the host until
// Clear: latency with seeded jitter, segment loss (seen by the terminal
// as TCP retransmission delay) and a bandwidth limit (see
// netproxy.Shape). A weak signal is latency, jitter and loss; congestion
// is a low rate.
//
//   - net_shape: {latency: 400ms, jitter: 150ms, loss: 0.1, seed: 1}
//   - net_shape: {rate: 2000, mss: 48}
type NetShape struct {
	Latency      time.Duration `yaml:"latency"`
	Jitter       time.Duration `yaml:"jitter"`
	Distribution string        `yaml:"distribution"`
	Loss         float64       `yaml:"loss"`
	// Rate is the bandwidth in bytes per second, each direction.
	Rate  int   `yaml:"rate"`
	Burst int   `yaml:"burst"`
	MSS   int   `yaml:"mss"`
	Seed  int64 `yaml:"seed"`

	undo undoList
}

func (f *NetShape) shape() netproxy.Shape {
	return netproxy.Shape{Latency: f.Latency, Jitter: f.Jitter, Distribution: f.Distribution,
		Loss: f.Loss, Rate: f.Rate, Burst: f.Burst, MSS: f.MSS, Seed: f.Seed}
}

// Check validates the settings when the scenario is read.
func (f *NetShape) Check(n *yaml.Node) error {
	err := f.shape().Check()
	if err == nil {
		return nil
	}
	key := ""
	switch {
	case f.Distribution != "" && f.Distribution != "normal" && f.Distribution != "uniform":
		key = "distribution"
	case !(f.Loss >= 0 && f.Loss < 1):
		key = "loss"
	case f.Latency < 0:
		key = "latency"
	case f.Jitter < 0:
		key = "jitter"
	case f.Rate < 0:
		key = "rate"
	case f.Burst < 0:
		key = "burst"
	case f.MSS < 0:
		key = "mss"
	}
	return yamldoc.At(yamldoc.FindOr(n, key), "net_shape: %v", err)
}

// Needs implements Needer.
func (f *NetShape) Needs() []Part { return []Part{PartNetwork} }

// Inject implements Fault.
func (f *NetShape) Inject(ctx context.Context, t Target) error {
	s, ok := t.Part(PartNetwork).(netproxy.Shaper)
	if !ok || s == nil {
		return fmt.Errorf("%w: no network proxy that shapes links (part %s)", ErrUnsupported, PartNetwork)
	}
	restore, err := s.Shape(f.shape())
	if err != nil {
		return err
	}
	f.undo.push(undoFunc(restore))
	return nil
}

// Clear implements Fault: data already held passes when its time comes.
func (f *NetShape) Clear(ctx context.Context, t Target) error { return f.undo.run() }

// Drop implements Dropper: the connections holding shaped data are
// closed first, so nothing held passes after the scenario.
func (f *NetShape) Drop(ctx context.Context, t Target) error { return discard(t, &f.undo) }

// MaxDelay implements Delayer: the one-way latency, which every segment
// takes on average (jitter and losses come on top of it): a shape whose
// latency outlasts the scenario's timeout can never let it pass.
func (f *NetShape) MaxDelay() time.Duration { return f.Latency }
