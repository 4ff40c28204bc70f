package scpi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// maxLine bounds one reply line; SCPI replies here are a few dozen bytes.
const maxLine = 256

// drainWait is how long a resync listens for a late reply to discard.
const drainWait = 50 * time.Millisecond

// exchange sends cmd and, for a query, returns its reply line. It holds
// the line for the whole exchange and bounds it by ctx and s.timeout.
func (s *Supply) exchange(ctx context.Context, cmd string, query bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.lock(ctx); err != nil {
		return "", fmt.Errorf("%s: %q: waiting for the line: %w", s.name, cmd, err)
	}
	defer s.unlock()
	return s.exchangeLocked(ctx, cmd, query)
}

func (s *Supply) exchangeLocked(ctx context.Context, cmd string, query bool) (string, error) {
	if s.dirty {
		s.drain(ctx)
	}
	if _, err := s.port.Write(ctx, []byte(cmd+"\n")); err != nil {
		s.dirty = true
		return "", fmt.Errorf("%s: %q: %w", s.name, cmd, err)
	}
	if !query {
		return "", nil
	}
	line, err := s.readLine(ctx)
	if err != nil {
		s.dirty = true
		return "", fmt.Errorf("%s: %q: %w", s.name, cmd, err)
	}
	return line, nil
}

// readLine reads up to '\n' (a '\r' before it is dropped).
func (s *Supply) readLine(ctx context.Context) (string, error) {
	for {
		if i := bytes.IndexByte(s.buf, '\n'); i >= 0 {
			line := bytes.TrimSuffix(s.buf[:i], []byte("\r"))
			s.buf = append(s.buf[:0], s.buf[i+1:]...)
			return string(line), nil
		}
		if len(s.buf) > maxLine {
			s.buf = s.buf[:0]
			return "", fmt.Errorf("%w: reply longer than %d bytes without a newline", ErrProtocol, maxLine)
		}
		var b [64]byte
		n, err := s.port.Read(ctx, b[:])
		if err != nil {
			return "", err
		}
		s.buf = append(s.buf, b[:n]...)
	}
}

// drain discards a reply that arrived after its exchange gave up (it
// would otherwise answer the next query), listening for drainWait.
func (s *Supply) drain(ctx context.Context) {
	s.buf = s.buf[:0]
	dctx, cancel := context.WithTimeout(ctx, drainWait)
	defer cancel()
	var b [64]byte
	for {
		if _, err := s.port.Read(dctx, b[:]); err != nil {
			if errors.Is(err, serial.ErrTimeout) && ctx.Err() == nil {
				s.dirty = false
			}
			return
		}
	}
}

func (s *Supply) lock(ctx context.Context) error {
	select {
	case s.gate <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Supply) unlock() { <-s.gate }
