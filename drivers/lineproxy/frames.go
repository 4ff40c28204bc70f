package lineproxy

import (
	"time"

	"github.com/poshil/poshil/drivers/ecr"
)

// Frame is an ECR frame seen on the line, reported to OnFrame before its
// first byte passes. Msg is the decoded message, redacted (KEY digits
// masked, see ecr.Redact), with the link's seq field left in.
type Frame struct {
	Dir Direction
	Msg ecr.Message
}

// segment is a run of bytes in stream order: a complete, valid ECR frame
// (msg set) or bytes outside one (ACK, NAK, garbage, damaged or
// unfinished frames).
type segment struct {
	raw []byte
	msg *ecr.Message
}

type frameState int8

const (
	fsIdle frameState = iota // between frames
	fsBody                   // after STX, before ETX
	fsLRC                    // after ETX: the next byte is the LRC
)

// framer finds ECR frames in a byte stream with the resync rules of
// docs/ecr.md (outside a frame only STX starts one; inside, STX restarts
// and ETX ends it; a payload over ecr.MaxPayload is abandoned) and holds a
// frame's bytes until it is complete, so it can be reported before it
// passes. It is pure (time is passed in) so it can be fuzzed.
type framer struct {
	state frameState
	held  []byte    // the frame in progress, from its STX
	since time.Time // when its STX arrived
}

// feed consumes p, received at now, and returns the segments that may
// pass, in order. Bytes of an unfinished frame stay held.
func (f *framer) feed(p []byte, now time.Time) []segment {
	var out []segment
	var plain []byte
	flushPlain := func() {
		if len(plain) > 0 {
			out = append(out, segment{raw: plain})
			plain = nil
		}
	}
	for _, b := range p {
		switch f.state {
		case fsIdle:
			if b == ecr.STX {
				flushPlain()
				f.begin(now)
				continue
			}
			plain = append(plain, b)
		case fsBody:
			switch {
			case b == ecr.STX:
				plain = append(plain, f.held...)
				flushPlain()
				f.begin(now)
			case b == ecr.ETX:
				f.held = append(f.held, b)
				f.state = fsLRC
			case len(f.held)-1 >= ecr.MaxPayload:
				plain = append(plain, f.held...)
				plain = append(plain, b)
				f.held, f.state = nil, fsIdle
			default:
				f.held = append(f.held, b)
			}
		case fsLRC:
			frame := append(f.held, b)
			f.held, f.state = nil, fsIdle
			m, err := ecr.Decode(frame)
			if err != nil {
				plain = append(plain, frame...)
				continue
			}
			flushPlain()
			red := ecr.Redact(ecr.TapEvent{Msg: &m})
			out = append(out, segment{raw: frame, msg: red.Msg})
		}
	}
	flushPlain()
	return out
}

func (f *framer) begin(now time.Time) {
	f.held = append(make([]byte, 0, 64), ecr.STX)
	f.since, f.state = now, fsBody
}

// holding reports whether a frame is held, and since when.
func (f *framer) holding() (time.Time, bool) {
	return f.since, f.state != fsIdle
}

// flush lets the held bytes pass unreported (the frame did not finish in
// time) and returns to between frames.
func (f *framer) flush() []segment {
	if f.state == fsIdle {
		return nil
	}
	raw := f.held
	f.held, f.state = nil, fsIdle
	return []segment{{raw: raw}}
}
