package fault_test

import (
	"slices"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/fault"
)

func newHost(t *testing.T) *acquirer.Server {
	t.Helper()
	h, err := acquirer.NewServer(acquirer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestHostFaults(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want acquirer.Behaviour
	}{
		{"host_no_response: {}\n    when: {mti: \"0200\"}", acquirer.Behaviour{Mode: acquirer.NoResponse}},
		{"host_late: {delay: 5s}", acquirer.Behaviour{Mode: acquirer.Late, Delay: 5 * time.Second}},
		{"host_malformed:", acquirer.Behaviour{Mode: acquirer.Malformed}},
		{"host_close: {}", acquirer.Behaviour{Mode: acquirer.CloseConn}},
		{"host_decline: {code: \"51\"}", acquirer.Behaviour{Response: "51"}},
	} {
		specs := proxySpecs(t, "faults:\n  - "+tc.src+"\n")
		f := specs[0].Fault
		if got := fault.NeedsOf(f); !slices.Equal(got, []fault.Part{fault.PartHost}) {
			t.Errorf("%s needs %v", specs[0].Name, got)
		}
		h := newHost(t)
		tg := &proxyTarget{host: h}
		if err := f.Inject(t.Context(), tg); err != nil {
			t.Fatalf("%s: inject: %v", specs[0].Name, err)
		}
		if got := h.Behaviour(); got != tc.want {
			t.Fatalf("%s: host behaviour %+v, want %+v", specs[0].Name, got, tc.want)
		}
		for range 2 {
			if err := f.Clear(t.Context(), tg); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.Behaviour(); got != (acquirer.Behaviour{}) {
			t.Fatalf("%s: after clear %+v", specs[0].Name, got)
		}
	}
}

// TestHostFaultsCompose: a decline and a late response together give a
// late decline; clearing the decline leaves the late response.
func TestHostFaultsCompose(t *testing.T) {
	h := newHost(t)
	tg := &proxyTarget{host: h}
	decline, late := &fault.HostDecline{Code: "05"}, &fault.HostLate{Delay: time.Second}
	for _, f := range []fault.Fault{decline, late} {
		if err := f.Inject(t.Context(), tg); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.Behaviour(); got != (acquirer.Behaviour{Mode: acquirer.Late, Delay: time.Second, Response: "05"}) {
		t.Fatalf("together: %+v", got)
	}
	decline.Clear(t.Context(), tg)
	if got := h.Behaviour(); got != (acquirer.Behaviour{Mode: acquirer.Late, Delay: time.Second}) {
		t.Fatalf("decline cleared: %+v", got)
	}
	late.Clear(t.Context(), tg)
	if got := h.Behaviour(); got != (acquirer.Behaviour{}) {
		t.Fatalf("all cleared: %+v", got)
	}
}
