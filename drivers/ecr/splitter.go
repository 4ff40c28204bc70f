package ecr

import (
	"errors"
	"fmt"
	"time"
)

// Reasons a started frame is dropped by the splitter (wrapped in ErrFraming
// or ErrTooLong in the token's error).
var (
	errRestarted  = errors.New("STX inside a frame: restarted")
	errIncomplete = errors.New("frame not finished within the inter-frame timeout")
)

// tokKind is what the splitter found in the byte stream.
type tokKind int8

const (
	tokAck     tokKind = iota // one ACK byte
	tokNak                    // one NAK byte
	tokFrame                  // STX ... ETX LRC, not yet decoded
	tokBad                    // a started frame that was dropped; err says why
	tokGarbage                // bytes outside any frame, skipped
)

// token is one unit of the received stream; raw is owned by the token.
type token struct {
	kind tokKind
	raw  []byte
	err  error
}

// maxGarbage bounds one garbage token, so a babbling line is reported in
// pieces.
const maxGarbage = 1024

type splitState int8

const (
	stIdle splitState = iota // between frames: ACK, NAK, STX or garbage
	stBody                   // after STX, before ETX
	stLRC                    // after ETX: the next byte is the LRC
)

// splitter turns received bytes into tokens. It is pure (no I/O, time is
// passed in) so it can be fuzzed; the Link's reader goroutine owns it.
// Resync rule: outside a frame everything but ACK, NAK and STX is garbage;
// inside a frame only STX (restart) and ETX (end) are special, so a bit
// error inside a payload still yields a complete frame that is NAKed.
type splitter struct {
	state   splitState
	frame   []byte    // STX and payload so far, then ETX
	start   time.Time // when the frame's STX arrived
	garbage []byte
	toks    []token
}

// feed consumes p, received at now, and returns the completed tokens in
// stream order. The slice is reused by the next call.
func (s *splitter) feed(p []byte, now time.Time) []token {
	s.toks = s.toks[:0]
	for _, b := range p {
		switch s.state {
		case stIdle:
			switch b {
			case ACK:
				s.flushGarbage()
				s.emit(tokAck, []byte{ACK}, nil)
			case NAK:
				s.flushGarbage()
				s.emit(tokNak, []byte{NAK}, nil)
			case STX:
				s.flushGarbage()
				s.begin(now)
			default:
				s.garbage = append(s.garbage, b)
				if len(s.garbage) >= maxGarbage {
					s.flushGarbage()
				}
			}
		case stBody:
			switch {
			case b == STX:
				s.drop(fmt.Errorf("%w: %w", ErrFraming, errRestarted))
				s.begin(now)
			case b == ETX:
				s.frame = append(s.frame, b)
				s.state = stLRC
			case len(s.frame)-1 >= MaxPayload:
				s.drop(fmt.Errorf("%w: no ETX within %d bytes", ErrTooLong, MaxPayload))
				s.garbage = append(s.garbage, b)
			default:
				s.frame = append(s.frame, b)
			}
		case stLRC:
			s.frame = append(s.frame, b)
			s.emit(tokFrame, s.frame, nil)
			s.frame, s.state = nil, stIdle
		}
	}
	s.flushGarbage()
	return s.toks
}

// deadline is when the frame in progress must be complete, if one is.
func (s *splitter) deadline(interFrame time.Duration) (time.Time, bool) {
	if s.state == stIdle {
		return time.Time{}, false
	}
	return s.start.Add(interFrame), true
}

// expire drops the frame in progress if its deadline has passed by now.
func (s *splitter) expire(now time.Time, interFrame time.Duration) (token, bool) {
	dl, ok := s.deadline(interFrame)
	if !ok || now.Before(dl) {
		return token{}, false
	}
	s.toks = s.toks[:0]
	s.drop(fmt.Errorf("%w: %w", ErrFraming, errIncomplete))
	return s.toks[0], true
}

func (s *splitter) begin(now time.Time) {
	s.frame = append(make([]byte, 0, 64), STX)
	s.start, s.state = now, stBody
}

func (s *splitter) drop(err error) {
	s.emit(tokBad, s.frame, err)
	s.frame, s.state = nil, stIdle
}

func (s *splitter) flushGarbage() {
	if len(s.garbage) > 0 {
		s.emit(tokGarbage, s.garbage, nil)
		s.garbage = nil
	}
}

func (s *splitter) emit(k tokKind, raw []byte, err error) {
	s.toks = append(s.toks, token{kind: k, raw: raw, err: err})
}
