package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poshil/poshil/fixtures/benches"
	"github.com/poshil/poshil/harness/yamldoc"
)

// TestListenBeyondLoopback: an emulated host listening where other
// machines reach it is INVALID at the listen value, unless expose: true.
func TestListenBeyondLoopback(t *testing.T) {
	_, emulated := benches.Emulated()
	for _, tt := range []struct {
		listen string
		ok     bool
	}{
		{"127.0.0.1:0", true},
		{"localhost:8583", true},
		{"'[::1]:0'", true},
		{"0.0.0.0:0", false},
		{"':8583'", false},
		{"192.0.2.7:8583", false},
		{"0.0.0.0:0\n    expose: true", true},
	} {
		body := strings.Replace(string(emulated), "listen: 127.0.0.1:0", "listen: "+tt.listen, 1)
		p := filepath.Join(t.TempDir(), "b.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if tt.ok {
			if err != nil {
				t.Errorf("listen %s: %v", tt.listen, err)
			}
			continue
		}
		at := fmt.Sprintf(":%d:13: host.emulated.listen", 1+strings.Count(body[:strings.Index(body, "listen: ")], "\n"))
		if !errors.Is(err, yamldoc.ErrInvalid) || !strings.Contains(err.Error(), at) {
			t.Errorf("listen %s: %v, want INVALID at %s", tt.listen, err, at)
		}
	}
}
