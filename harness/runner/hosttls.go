package runner

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/poshil/poshil/drivers/netproxy"
	"github.com/poshil/poshil/fixtures/hosttls"
)

// openHostTLS makes the emulated host serve TLS when the bench says
// host.tls (before the host starts): the test PKI of the bench's seed,
// its CA written to the work folder for the DUT ({host_ca}).
func (r *Rig) openHostTLS() error {
	t := r.Bench.Host.TLS
	if t == nil || r.acq == nil {
		return nil
	}
	var set *hosttls.Set
	var err error
	if t.Seed == "" {
		set, err = hosttls.Test()
	} else {
		set, err = hosttls.Build(t.Seed)
	}
	if err != nil {
		return err
	}
	r.front = hosttls.NewFront(set)
	r.acq.ServeTLS(r.front)
	r.hostCA = filepath.Join(r.workdir, hosttls.CAFile)
	if err := os.WriteFile(r.hostCA, set.CAPEM(), 0o644); err != nil {
		return fmt.Errorf("write the host CA: %w", err)
	}
	return nil
}

// proxyOptions are the network proxy's options: on a TLS bench it
// stands for the host (same Front) and reaches it over TLS.
func (r *Rig) proxyOptions() netproxy.Options {
	if r.front == nil {
		return netproxy.Options{}
	}
	return netproxy.Options{Front: r.front, Back: r.front.BackConfig()}
}

// resetHostTLS zeroes the plain-TCP count before a scenario and puts the
// good certificate back in force (the safe state).
func (r *Rig) resetHostTLS() {
	if r.front != nil {
		r.front.Reset()
		r.front.ResetCert()
	}
}

// plainTCP is how many connections to the TLS host began in plain TCP
// since the scenario started; ok is false on a bench without host TLS.
func (r *Rig) plainTCP() (n int, ok bool) {
	if r.front == nil {
		return 0, false
	}
	return r.front.Plain(), true
}
