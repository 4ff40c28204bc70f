package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poshil/poshil/drivers/ecr"
	"github.com/poshil/poshil/harness/oracle"
	"github.com/poshil/poshil/harness/secrets"
	"github.com/poshil/poshil/harness/verdict"
	"github.com/poshil/poshil/harness/yamldoc"
)

// observed is one message the DUT sent, with when it arrived.
type observed struct {
	at  time.Time
	msg ecr.Message
}

// session is the harness's side of one scenario's ECR conversation: a
// receive loop records everything the DUT says, and steps wait on it.
type session struct {
	link    Link // the framed ECR protocol, or an adapter over a console or a host program
	rec     *recorder
	started time.Time

	mu      sync.Mutex
	msgs    []observed
	sent    []oracle.Entry // what the harness sent, for the oracle
	changed chan struct{}  // closed and replaced on every new message
	recvErr error
	done    chan struct{}
	// dutDone closes when a DUT process started for the scenario exits.
	dutDone <-chan struct{}
	// onMessage sees every message from the DUT as it arrives (fault
	// triggers), before any waiter does.
	onMessage func(ecr.Message)
	// waited, if set, is told when each wait that started at start ends
	// (the harness overhead counts it out).
	waited func(start time.Time)
}

// setDUTDone watches a (re)started DUT process.
func (s *session) setDUTDone(done <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dutDone = done
}

func newSession(link Link, rec *recorder) *session {
	s := &session{link: link, rec: rec, started: time.Now(), changed: make(chan struct{}), done: make(chan struct{})}
	return s
}

// receive runs until ctx ends or the link fails.
func (s *session) receive(ctx context.Context) {
	defer close(s.done)
	for {
		m, err := s.link.Receive(ctx)
		if err == nil && s.onMessage != nil {
			s.onMessage(m) // outside the lock: a trigger may inject a fault
		}
		s.mu.Lock()
		if err != nil {
			if ctx.Err() == nil {
				s.recvErr = err
			}
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
			return
		}
		s.msgs = append(s.msgs, observed{at: time.Now(), msg: m})
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		s.rec.add("dut", describe(m))
	}
}

// send sends a message to the DUT; a link that cannot deliver is a FAIL of
// the DUT only if the line itself is fine, which the ECR layer tells apart:
// the port failing is a bench error.
func (s *session) send(ctx context.Context, m ecr.Message) error {
	return s.sendStep(ctx, m, yamldoc.Pos{})
}

// sendStep is send for the scenario step at step (line and column), which
// the oracle names when it judges the answers (a sale's two RESULTs).
func (s *session) sendStep(ctx context.Context, m ecr.Message, step yamldoc.Pos) error {
	s.mu.Lock()
	s.sent = append(s.sent, oracle.Entry{At: time.Now(), Dir: oracle.ToDUT, Msg: m, Step: step})
	s.mu.Unlock()
	s.rec.add("ecr", describe(m))
	if s.waited != nil {
		defer s.waited(time.Now()) // the DUT's ACK, over the line as it is
	}
	if err := s.link.Send(ctx, m); err != nil {
		if errors.Is(err, ecr.ErrNoAck) {
			return fmt.Errorf("terminal did not acknowledge %s: %w", m.Kind, err)
		}
		return verdict.Bench("ecr line", err)
	}
	return nil
}

// waitFor scans messages from index *from on until match returns true (the
// message is returned) or an error (returned as is). *from advances past
// the messages looked at, so waits consume the conversation in order.
func (s *session) waitFor(ctx context.Context, from *int, what string, match func(ecr.Message) (bool, error)) (ecr.Message, error) {
	var got ecr.Message
	err := s.wait(ctx, what, func() (bool, error) {
		for *from < len(s.msgs) {
			m := s.msgs[*from].msg
			*from++
			ok, err := match(m)
			if err != nil || ok {
				got = m
				return true, err
			}
		}
		return false, nil
	})
	return got, err
}

// waitLog waits until done is true of the conversation so far (both
// ways, as the oracle sees it).
func (s *session) waitLog(ctx context.Context, what string, done func([]oracle.Entry) bool) error {
	return s.wait(ctx, what, func() (bool, error) { return done(s.entriesLocked()), nil })
}

// wait calls poll, with s.mu held, on every change until it is done or
// fails; it ends early when ctx ends, the link fails or the DUT process
// dies.
func (s *session) wait(ctx context.Context, what string, poll func() (bool, error)) error {
	if s.waited != nil {
		defer s.waited(time.Now())
	}
	for {
		s.mu.Lock()
		if done, err := poll(); done || err != nil {
			s.mu.Unlock()
			return err
		}
		changed, recvErr, dutDone := s.changed, s.recvErr, s.dutDone
		s.mu.Unlock()
		if recvErr != nil {
			return verdict.Bench("ecr line", fmt.Errorf("while waiting for %s: %w", what, recvErr))
		}
		select {
		case <-changed:
		case <-dutDone:
			s.mu.Lock()
			current := s.dutDone
			if current == dutDone {
				s.dutDone = nil // report once; later waits see the messages so far
			}
			s.mu.Unlock()
			if current != dutDone {
				continue // an intended death (power cut) or a restart: keep waiting
			}
			return fmt.Errorf("no %s: the terminal process ended", what)
		case <-ctx.Done():
			return fmt.Errorf("no %s from the terminal: %w", what, ctx.Err())
		}
	}
}

// entries is the conversation so far, both ways, for the oracle.
func (s *session) entries() []oracle.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entriesLocked()
}

// entriesLocked is entries with s.mu held.
func (s *session) entriesLocked() []oracle.Entry {
	out := make([]oracle.Entry, 0, len(s.sent)+len(s.msgs))
	out = append(out, s.sent...)
	for _, o := range s.msgs {
		out = append(out, oracle.Entry{At: o.at, Dir: oracle.FromDUT, Msg: o.msg})
	}
	return out
}

// all returns a copy of every message seen so far.
func (s *session) all() []observed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]observed(nil), s.msgs...)
}

// describe renders a message for evidence: KEY digits are masked (they may
// be a PIN), PAN-like digit runs are masked.
func describe(m ecr.Message) string {
	var b strings.Builder
	b.WriteString(string(m.Kind))
	for _, f := range m.Fields {
		v := f.Value
		if m.Kind == ecr.Key && f.Key == "keys" {
			v = secrets.MaskDigits(v) // named keys stay: Enter, Cancel
		}
		fmt.Fprintf(&b, " %s=%s", f.Key, secrets.MaskText(v))
	}
	return b.String()
}

// recorder collects a scenario's timestamped transcript.
type recorder struct {
	mu    sync.Mutex
	start time.Time
	lines []verdict.Line
	live  func(verdict.Line)
	// scrub masks every line: the run's card secrets (set before the
	// scenario starts), unknown card data.
	scrub *secrets.Scrubber
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

func (r *recorder) add(source, text string) { r.addAt(time.Now(), source, text) }

// addAt records a line that happened at t, keeping the transcript in time
// order.
func (r *recorder) addAt(t time.Time, source, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := verdict.Line{At: t.Sub(r.start), Source: source, Text: r.scrub.String(text)}
	i := len(r.lines)
	for i > 0 && r.lines[i-1].At > l.At {
		i--
	}
	r.lines = slices.Insert(r.lines, i, l)
	if r.live != nil {
		r.live(l)
	}
}

func (r *recorder) snapshot() []verdict.Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]verdict.Line(nil), r.lines...)
}
