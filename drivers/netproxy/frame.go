package netproxy

// piece is a run of a TCP stream in order: the start of a message (msg
// set: its MTI and length, reported before its bytes) or bytes to pass.
type piece struct {
	msg    bool
	mti    string // the first 4 bytes of the message when they are 4 digits, else ""
	length int    // the message length from its 2-byte prefix
	data   []byte
}

type frameState int8

const (
	fsHeader frameState = iota // collecting the 2-byte length
	fsMTI                      // collecting the first bytes of the message
	fsBody                     // passing the rest of the message
)

// mtiLen is how many message bytes are held to read the MTI.
const mtiLen = 4

// framer follows the 2-byte big-endian length framing of an ISO 8583
// stream (see fixtures/acquirer) and holds each message's prefix and MTI
// until they are complete, so the message can be reported before any of
// its bytes pass. A zero length passes as it is (the receiver will reject
// it). It is pure so it can be fuzzed.
type framer struct {
	state  frameState
	held   []byte // prefix and MTI bytes so far
	want   int    // message bytes to hold for the MTI
	length int    // current message length
	left   int    // body bytes still to pass
}

// feed consumes p and returns the pieces that may pass, in order.
func (f *framer) feed(p []byte) []piece {
	var out []piece
	for len(p) > 0 {
		switch f.state {
		case fsHeader:
			f.held = append(f.held, p[0])
			p = p[1:]
			if len(f.held) < 2 {
				continue
			}
			f.length = int(f.held[0])<<8 | int(f.held[1])
			if f.length == 0 {
				out = append(out, piece{data: f.held})
				f.held = nil
				continue
			}
			f.want, f.state = min(f.length, mtiLen), fsMTI
		case fsMTI:
			k := min(f.want-(len(f.held)-2), len(p))
			f.held = append(f.held, p[:k]...)
			p = p[k:]
			if len(f.held)-2 < f.want {
				continue
			}
			out = append(out, piece{msg: true, mti: mti(f.held[2:]), length: f.length}, piece{data: f.held})
			f.held = nil
			f.left = f.length - f.want
			f.state = fsBody
			if f.left == 0 {
				f.state = fsHeader
			}
		case fsBody:
			k := min(f.left, len(p))
			out = append(out, piece{data: p[:k:k]})
			p = p[k:]
			f.left -= k
			if f.left == 0 {
				f.state = fsHeader
			}
		}
	}
	return out
}

// flush lets held bytes pass (the stream ended inside a prefix or MTI).
func (f *framer) flush() []piece {
	if len(f.held) == 0 {
		return nil
	}
	out := []piece{{data: f.held}}
	f.held, f.state = nil, fsHeader
	return out
}

// mti returns b as an MTI if it is 4 ASCII digits, else "".
func mti(b []byte) string {
	if len(b) != mtiLen {
		return ""
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return string(b)
}
