package serial

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Telnet (RFC 854) bytes and the options an RFC 2217 client negotiates.
const (
	tnIAC  = 255
	tnDONT = 254
	tnDO   = 253
	tnWONT = 252
	tnWILL = 251
	tnSB   = 250
	tnSE   = 240

	optBinary  = 0  // RFC 856: 8-bit data, no CR NUL stuffing
	optSGA     = 3  // RFC 858: suppress go-ahead
	optComPort = 44 // RFC 2217: COM-PORT-OPTION
)

// RFC 2217 commands (client to server); the server answers code+100.
const (
	cpSignature     = 0
	cpSetBaud       = 1
	cpSetDataSize   = 2
	cpSetParity     = 3
	cpSetStopSize   = 4
	cpSetControl    = 5
	cpNotifyLine    = 6
	cpNotifyModem   = 7
	cpSetModemMask  = 11
	cpServerOffset  = 100
	ctlDTROn        = 8
	ctlDTROff       = 9
	ctlRTSOn        = 11
	ctlRTSOff       = 12
	modemCTS        = 0x10
	modemDSR        = 0x20
	modemRI         = 0x40
	modemDCD        = 0x80
	controlDeadline = time.Second
)

// ErrNegotiation reports a port server that does not speak RFC 2217 (it
// never agreed to the COM-PORT-OPTION) or refused a line setting.
var ErrNegotiation = errors.New("serial: RFC 2217 negotiation failed")

// telnet is the client side of a telnet connection with the COM-PORT
// option: it decodes what the server sends (data, option negotiation,
// COM-PORT answers and notifications) and answers negotiation.
type telnet struct {
	write func([]byte) // sends raw telnet bytes to the server

	// decoder state, used by the receiving goroutine only
	state byte // 0 data, tnIAC, tnDO/DONT/WILL/WONT (option follows), tnSB, sbIAC
	sb    []byte

	mu       sync.Mutex
	willSent map[byte]bool // options we said WILL to
	doSent   map[byte]bool // options we said DO to

	comPort     chan struct{} // closed when the server says DO COM-PORT-OPTION
	comPortOnce sync.Once
	refused     atomic.Bool   // the server said DONT COM-PORT-OPTION
	resp        chan []byte   // COM-PORT answers: code, value...
	modem       atomic.Int32  // last NOTIFY-MODEMSTATE + 1 (0: none yet)
	modemSeen   chan struct{} // closed at the first NOTIFY-MODEMSTATE
	modemOnce   sync.Once
	stopped     chan struct{} // closed when the connection ends
	stopOnce    sync.Once
	ctl         sync.Mutex // one COM-PORT request at a time
}

const sbIAC = 1 // decoder state: IAC seen inside a subnegotiation

func newTelnet(write func([]byte)) *telnet {
	return &telnet{write: write, willSent: map[byte]bool{}, doSent: map[byte]bool{},
		comPort: make(chan struct{}), modemSeen: make(chan struct{}), resp: make(chan []byte, 16), stopped: make(chan struct{})}
}

func (t *telnet) stop() { t.stopOnce.Do(func() { close(t.stopped) }) }

// start asks for binary mode both ways, suppressed go-ahead and the
// COM-PORT-OPTION.
func (t *telnet) start() {
	t.mu.Lock()
	t.willSent[optComPort], t.willSent[optBinary], t.willSent[optSGA] = true, true, true
	t.doSent[optBinary], t.doSent[optSGA] = true, true
	t.mu.Unlock()
	t.write([]byte{tnIAC, tnWILL, optComPort, tnIAC, tnWILL, optBinary, tnIAC, tnDO, optBinary, tnIAC, tnWILL, optSGA, tnIAC, tnDO, optSGA})
}

// decode consumes bytes from the server and returns the data among them.
func (t *telnet) decode(in []byte) []byte {
	out := in[:0:0]
	for _, c := range in {
		switch t.state {
		case 0:
			if c == tnIAC {
				t.state = tnIAC
			} else {
				out = append(out, c)
			}
		case tnIAC:
			switch c {
			case tnIAC:
				out = append(out, tnIAC)
				t.state = 0
			case tnDO, tnDONT, tnWILL, tnWONT:
				t.state = c
			case tnSB:
				t.sb = t.sb[:0]
				t.state = tnSB
			default: // NOP, GA, DM, ...: no data
				t.state = 0
			}
		case tnDO, tnDONT, tnWILL, tnWONT:
			t.negotiate(t.state, c)
			t.state = 0
		case tnSB:
			if c == tnIAC {
				t.state = sbIAC
			} else if len(t.sb) < 256 {
				t.sb = append(t.sb, c)
			}
		case sbIAC:
			switch c {
			case tnIAC:
				if len(t.sb) < 256 {
					t.sb = append(t.sb, tnIAC)
				}
				t.state = tnSB
			case tnSE:
				t.subnegotiation(t.sb)
				t.state = 0
			default: // malformed: end the subnegotiation
				t.state = 0
			}
		}
	}
	return out
}

// negotiate answers one option request: binary, SGA and COM-PORT are
// accepted, anything else refused; a request already in force is not
// answered again (no negotiation loops).
func (t *telnet) negotiate(verb, opt byte) {
	t.mu.Lock()
	var reply []byte
	switch verb {
	case tnDO:
		if opt == optBinary || opt == optSGA || opt == optComPort {
			if !t.willSent[opt] {
				t.willSent[opt] = true
				reply = []byte{tnIAC, tnWILL, opt}
			}
			if opt == optComPort {
				t.comPortOnce.Do(func() { close(t.comPort) })
			}
		} else {
			reply = []byte{tnIAC, tnWONT, opt}
		}
	case tnDONT:
		if opt == optComPort {
			t.refused.Store(true)
		}
		if t.willSent[opt] {
			t.willSent[opt] = false
			reply = []byte{tnIAC, tnWONT, opt}
		}
	case tnWILL:
		if opt == optBinary || opt == optSGA {
			if !t.doSent[opt] {
				t.doSent[opt] = true
				reply = []byte{tnIAC, tnDO, opt}
			}
		} else {
			reply = []byte{tnIAC, tnDONT, opt}
		}
	case tnWONT:
		if t.doSent[opt] {
			t.doSent[opt] = false
			reply = []byte{tnIAC, tnDONT, opt}
		}
	}
	t.mu.Unlock()
	if reply != nil {
		t.write(reply)
	}
}

// subnegotiation handles a COM-PORT message from the server.
func (t *telnet) subnegotiation(sb []byte) {
	if len(sb) < 2 || sb[0] != optComPort {
		return
	}
	code, val := sb[1], sb[2:]
	switch code {
	case cpServerOffset + cpNotifyModem:
		if len(val) == 1 {
			t.modem.Store(int32(val[0]) + 1)
			t.modemOnce.Do(func() { close(t.modemSeen) })
		}
	case cpServerOffset + cpNotifyLine:
	default:
		select {
		case t.resp <- append([]byte{code}, val...):
		default: // nobody asked: dropped
		}
	}
}

// command is a COM-PORT subnegotiation with value escaped.
func command(code byte, value ...byte) []byte {
	b := []byte{tnIAC, tnSB, optComPort, code}
	b = append(b, escapeIAC(value)...)
	return append(b, tnIAC, tnSE)
}

// request sends a COM-PORT command and waits (within ctx) for the
// server's answer to it (code+100), returning the answer's value.
func (t *telnet) request(ctx context.Context, code byte, value ...byte) ([]byte, error) {
	t.ctl.Lock()
	defer t.ctl.Unlock()
	for len(t.resp) > 0 { // stale answers of a request that timed out
		<-t.resp
	}
	t.write(command(code, value...))
	for {
		select {
		case r := <-t.resp:
			if r[0] == code+cpServerOffset {
				return r[1:], nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.stopped:
			return nil, errors.New("connection closed")
		}
	}
}

// escapeIAC doubles every 0xFF byte.
func escapeIAC(b []byte) []byte {
	n := 0
	for _, c := range b {
		if c == tnIAC {
			n++
		}
	}
	if n == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+n)
	for _, c := range b {
		out = append(out, c)
		if c == tnIAC {
			out = append(out, tnIAC)
		}
	}
	return out
}

// unescapedLen is how many data bytes the escaped prefix esc carries (a
// doubled 0xFF cut in half counts as not sent).
func unescapedLen(esc []byte) int {
	n := 0
	for i := 0; i < len(esc); i++ {
		if esc[i] == tnIAC {
			if i+1 >= len(esc) {
				break
			}
			i++
		}
		n++
	}
	return n
}

// RFC2217Port is a Port to a port server that speaks RFC 2217: the line
// settings go to the server's UART, and the modem lines (ModemLines)
// travel as COM-PORT commands and notifications.
type RFC2217Port struct {
	*netPort
}

var _ ModemLines = (*RFC2217Port)(nil)

// dialRFC2217 connects, negotiates the COM-PORT-OPTION and applies opt,
// each step bounded by ctx: a server that never agrees is ErrNegotiation.
func dialRFC2217(ctx context.Context, addr string, opt Options) (Port, error) {
	o := opt.withDefaults()
	if _, err := o.mode(); err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	c, err := dial(ctx, addr, SchemeRFC2217)
	if err != nil {
		return nil, err
	}
	p := newNetPort(addr, c, nil)
	p.tn = newTelnet(func(b []byte) {
		wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = p.send(wctx, b)
	})
	go p.receive()
	p.tn.start()
	fail := func(err error) (Port, error) {
		p.Close()
		return nil, err
	}
	select {
	case <-p.tn.comPort:
	case <-ctx.Done():
		why := "the server never agreed to the COM-PORT-OPTION (is it a telnet(rfc2217) port?)"
		if p.tn.refused.Load() {
			why = "the server refused the COM-PORT-OPTION"
		}
		return fail(fmt.Errorf("%s: %w: %s: %w", addr, ErrNegotiation, why, ctx.Err()))
	case <-p.tn.stopped:
		p.mu.Lock()
		rerr := p.rerr
		p.mu.Unlock()
		return fail(fmt.Errorf("%s: %w: %w", addr, ErrOpen, rerr))
	}
	par, _ := parity(o.Parity)
	baud := make([]byte, 4)
	binary.BigEndian.PutUint32(baud, uint32(o.Baud))
	for _, set := range []struct {
		what  string
		code  byte
		value []byte
	}{
		{"baud rate", cpSetBaud, baud},
		{"data bits", cpSetDataSize, []byte{byte(o.DataBits)}},
		{"parity", cpSetParity, []byte{byte(par) + 1}}, // RFC 2217: 1 none, 2 odd, 3 even, 4 mark, 5 space
		{"stop bits", cpSetStopSize, []byte{byte(o.StopBits)}},
	} {
		got, err := p.tn.request(ctx, set.code, set.value...)
		if err != nil {
			return fail(fmt.Errorf("%s: %w: set %s: %w", addr, ErrNegotiation, set.what, err))
		}
		if string(got) != string(set.value) {
			return fail(fmt.Errorf("%s: %w: set %s %x: the server set %x", addr, ErrOptions, set.what, set.value, got))
		}
	}
	return &RFC2217Port{p}, nil
}

// control sends SET-CONTROL v and requires the server to confirm it
// within controlDeadline: a server whose device has no modem lines (a
// pseudo-terminal behind ser2net) does not, and that is ErrNotSupported.
func (p *RFC2217Port) control(op string, v byte) error {
	if p.closed.Load() {
		return closedErr(p.name, op)
	}
	ctx, cancel := context.WithTimeout(context.Background(), controlDeadline)
	defer cancel()
	got, err := p.tn.request(ctx, cpSetControl, v)
	if err != nil {
		if p.closed.Load() {
			return closedErr(p.name, op)
		}
		return fmt.Errorf("%s: %s: %w: the port server did not confirm it (%w)", p.name, op, ErrNotSupported, err)
	}
	if len(got) != 1 || got[0] != v {
		return fmt.Errorf("%s: %s: %w: the port server answered %x", p.name, op, ErrNotSupported, got)
	}
	return nil
}

// SetDTR implements ModemLines through SET-CONTROL.
func (p *RFC2217Port) SetDTR(on bool) error {
	if on {
		return p.control("set DTR", ctlDTROn)
	}
	return p.control("set DTR", ctlDTROff)
}

// SetRTS implements ModemLines through SET-CONTROL.
func (p *RFC2217Port) SetRTS(on bool) error {
	if on {
		return p.control("set RTS", ctlRTSOn)
	}
	return p.control("set RTS", ctlRTSOff)
}

// Status implements ModemLines: the modem state of the server's last
// NOTIFY-MODEMSTATE (servers send one when the client connects and at
// every change). Without one yet it waits up to controlDeadline.
func (p *RFC2217Port) Status() (ModemStatus, error) {
	if p.closed.Load() {
		return ModemStatus{}, closedErr(p.name, "modem status")
	}
	timer := time.NewTimer(controlDeadline)
	defer timer.Stop()
	select {
	case <-p.tn.modemSeen:
	case <-timer.C:
		return ModemStatus{}, fmt.Errorf("%s: modem status: %w: the port server sent no modem state", p.name, ErrNotSupported)
	case <-p.done:
		return ModemStatus{}, closedErr(p.name, "modem status")
	}
	b := byte(p.tn.modem.Load() - 1)
	return ModemStatus{CTS: b&modemCTS != 0, DSR: b&modemDSR != 0, RI: b&modemRI != 0, DCD: b&modemDCD != 0}, nil
}
