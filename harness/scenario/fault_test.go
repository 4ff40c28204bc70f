package scenario

import (
	"context"
	"strings"
	"testing"

	"github.com/poshil/poshil/harness/fault"
)

// testFault is registered for these tests only.
type testFault struct {
	Level int `yaml:"level"`
}

func (*testFault) Inject(context.Context, fault.Target) error { return nil }
func (*testFault) Clear(context.Context, fault.Target) error  { return nil }

func init() {
	fault.Register("test_fault", "a fault for scenario tests", func() fault.Fault { return &testFault{} })
}

func TestFaultSpecs(t *testing.T) {
	doc := `name: faults
faults:
  - test_fault: {level: 3}
    when: {apdu: {command: VERIFY, nth: 2}}
    for: 2s
steps:
  - sale: 1
  - inject: {test_fault: {level: 1}, id: second, when: {mti: "0200"}}
  - clear: second
expect: {outcome: APPROVED}
`
	s, err := Parse("f.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	f := s.Faults[0]
	if f.Name != "test_fault" || f.Fault.(*testFault).Level != 3 || f.When.APDU.Nth != 2 || f.For.Seconds() != 2 || f.Line != 3 {
		t.Errorf("spec %+v", f)
	}
	if in := s.Steps[1].Inject; in.ID != "second" || in.When.MTI != "0200" || in.Fault.(*testFault).Level != 1 {
		t.Errorf("inject %+v", in)
	}
}

func TestFaultSpecErrors(t *testing.T) {
	tests := []struct{ name, faults, want string }{
		{"unknown fault", "  - no_such_fault: {}\n", "f.yaml:3:5: unknown fault \"no_such_fault\""},
		{"unknown field", "  - test_fault: {lvl: 1}\n", "f.yaml:3:18: unknown key \"lvl\""},
		{"two faults", "  - test_fault: {}\n    test_fault2: {}\n", "one fault per entry"},
		{"bad trigger", "  - test_fault: {}\n    when: {after: 1s, mti: \"0200\"}\n", "give one condition"},
		{"bad command", "  - test_fault: {}\n    when: {apdu: {command: DANCE}}\n", "apdu.command \"DANCE\""},
		{"bad mti", "  - test_fault: {}\n    when: {mti: \"20\"}\n", "want four digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "name: x\nfaults:\n" + tt.faults + "steps: [{sale: 1}]\nexpect: {outcome: APPROVED}\n"
			_, err := Parse("f.yaml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	_, err := Parse("f.yaml", []byte("name: x\nsteps: [{sale: 1}, {clear: ghost}]\nexpect: {outcome: APPROVED}\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "f.yaml:2:28: clear \"ghost\"") {
		t.Fatalf("clear of an unknown id: %v", err)
	}
}
