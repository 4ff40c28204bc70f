package runner

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/scenario"
)

// fakeLink is a DUT in ECR messages, scripted by the test: react sees
// every message the harness sends and may answer through say.
type fakeLink struct {
	in     chan ecr.Message
	closed chan struct{}
	once   sync.Once
	react  func(f *fakeLink, m ecr.Message)
}

func newFakeLink(react func(f *fakeLink, m ecr.Message)) *fakeLink {
	return &fakeLink{in: make(chan ecr.Message, 64), closed: make(chan struct{}), react: react}
}

// say makes the DUT send m (now, or after d on its own timer).
func (f *fakeLink) say(d time.Duration, m ecr.Message) {
	if d == 0 {
		f.in <- m
		return
	}
	time.AfterFunc(d, func() {
		select {
		case f.in <- m:
		case <-f.closed:
		}
	})
}

func (f *fakeLink) Send(ctx context.Context, m ecr.Message) error {
	if f.react != nil {
		f.react(f, m)
	}
	return ctx.Err()
}

func (f *fakeLink) Receive(ctx context.Context) (ecr.Message, error) {
	select {
	case m := <-f.in:
		return m, nil
	case <-f.closed:
		return ecr.Message{}, io.EOF
	case <-ctx.Done():
		return ecr.Message{}, ctx.Err()
	}
}

func (f *fakeLink) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

// result is a RESULT answering sale m.
func result(m ecr.Message, code string) ecr.Message {
	ref, _ := m.Get("ref")
	return ecr.Message{Kind: ecr.Result}.With("code", code).With("ref", ref)
}

// fakeRun is a run on no bench: a scenario, a session on link, nothing
// else. Its receive loop ends with the test.
func fakeRun(t *testing.T, doc string, link *fakeLink) (*run, context.Context) {
	t.Helper()
	sc, err := scenario.Parse("dut.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ru := &run{rig: &Rig{}, sc: sc, rec: newRecorder()}
	ru.sess = newSession(link, ru.rec)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	rctx, stop := context.WithCancel(ctx)
	go ru.sess.receive(rctx)
	t.Cleanup(func() {
		stop()
		<-ru.sess.done
		link.Close()
		cancel()
	})
	return ru, ctx
}

// steps runs the scenario's steps as execute does.
func (ru *run) steps(t *testing.T, ctx context.Context) {
	t.Helper()
	ru.firstAt = time.Now()
	for i := range ru.sc.Steps {
		if err := ru.step(ctx, &ru.sc.Steps[i]); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}
}
