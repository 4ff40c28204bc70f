package ecr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poshil/poshil/drivers/serial"
)

// run is the reader goroutine: read, split, answer, queue.
func (l *Link) run() {
	defer close(l.down)
	buf := make([]byte, 512)
	for {
		ctx, cancel := l.ctx, context.CancelFunc(func() {})
		if dl, ok := l.sp.deadline(l.opt.InterFrameTimeout); ok {
			ctx, cancel = context.WithDeadline(l.ctx, dl)
		}
		n, err := l.port.Read(ctx, buf)
		cancel()
		now := time.Now()
		if l.ctx.Err() != nil {
			l.downErr = ErrLinkClosed
			return
		}
		if err != nil {
			if errors.Is(err, serial.ErrTimeout) {
				if tok, ok := l.sp.expire(now, l.opt.InterFrameTimeout); ok {
					l.handle(tok, now)
				}
				continue
			}
			l.downErr = fmt.Errorf("%w: %w", ErrLinkDown, err)
			return
		}
		for _, tok := range l.sp.feed(buf[:n], now) {
			l.handle(tok, now)
		}
	}
}

// handle acts on one token from the splitter.
func (l *Link) handle(tok token, now time.Time) {
	switch tok.kind {
	case tokAck, tokNak:
		kind := TapAck
		if tok.kind == tokNak {
			kind = TapNak
		}
		l.tap(TapEvent{Dir: In, Time: now, Kind: kind, Raw: tok.raw})
		select {
		case l.acks <- tok.raw[0]:
		default: // nobody is sending; stale answers are dropped anyway
		}
	case tokGarbage:
		l.tap(TapEvent{Dir: In, Time: now, Kind: TapGarbage, Raw: tok.raw})
	case tokBad:
		l.tap(TapEvent{Dir: In, Time: now, Kind: TapBadFrame, Raw: tok.raw, Err: tok.err})
	case tokFrame:
		m, err := Decode(tok.raw)
		if err != nil {
			l.tap(TapEvent{Dir: In, Time: now, Kind: TapBadFrame, Raw: tok.raw, Err: err})
			l.answer(NAK)
			return
		}
		if l.restarted.Swap(false) {
			l.lastRaw = nil
		}
		if l.sameFrame(tok.raw, now) {
			l.lastTime = now
			l.tap(TapEvent{Dir: In, Time: now, Kind: TapDuplicate, Raw: tok.raw, Msg: &m})
			l.answer(ACK)
			return
		}
		l.lastRaw = append(l.lastRaw[:0], tok.raw...)
		l.lastTime = now
		l.tap(TapEvent{Dir: In, Time: now, Kind: TapFrame, Raw: tok.raw, Msg: &m})
		l.answer(ACK)
		l.enqueue(stripSeq(m), now)
	}
}

// answer writes one ACK or NAK byte, bounded by AckTimeout.
func (l *Link) answer(b byte) {
	ctx, cancel := context.WithTimeout(l.ctx, l.opt.AckTimeout)
	defer cancel()
	err := l.write(ctx, []byte{b})
	kind := TapAck
	if b == NAK {
		kind = TapNak
	}
	l.tap(TapEvent{Dir: Out, Time: time.Now(), Kind: kind, Raw: []byte{b}, Err: err})
}

// enqueue queues m for Receive, dropping the oldest beyond queueMax.
func (l *Link) enqueue(m Message, now time.Time) {
	l.mu.Lock()
	var dropped *Message
	if len(l.queue) >= queueMax {
		d := l.queue[0]
		dropped = &d
		l.queue = l.queue[1:]
	}
	l.queue = append(l.queue, m)
	l.mu.Unlock()
	if dropped != nil {
		l.tap(TapEvent{Dir: In, Time: now, Kind: TapOverflow, Msg: dropped})
	}
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// stripSeq removes SeqField, which belongs to the link, not the message.
func stripSeq(m Message) Message {
	fs := m.Fields[:0:0]
	for _, f := range m.Fields {
		if f.Key != SeqField {
			fs = append(fs, f)
		}
	}
	m.Fields = fs
	return m
}
