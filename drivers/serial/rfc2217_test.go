package serial

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"
)

// TestTelnetDecode: data passes, IAC IAC is one 0xFF, negotiation is
// answered once (no loops) and COM-PORT answers and notifications are
// taken out of the data, even split across reads.
func TestTelnetDecode(t *testing.T) {
	var sent [][]byte
	tn := newTelnet(func(b []byte) { sent = append(sent, append([]byte(nil), b...)) })
	tn.start()
	sent = nil
	in := []byte{'a', tnIAC, tnIAC, 'b', 0x0D, 0x00,
		tnIAC, tnDO, optComPort, // agreed: already WILL, no answer
		tnIAC, tnWILL, 1, // ECHO: refused
		tnIAC, tnWONT, 1, // no answer (never asked)
		tnIAC, tnDO, 24, // terminal type: refused
		tnIAC, tnSB, optComPort, cpServerOffset + cpNotifyModem, modemCTS | modemDCD, tnIAC, tnSE,
		tnIAC, tnSB, optComPort, cpServerOffset + cpSetBaud, 0, 0, tnIAC, tnIAC, 0, tnIAC, tnSE,
		'c'}
	var data []byte
	for i := range in { // one byte per read: every state survives a split
		data = append(data, tn.decode(in[i:i+1])...)
	}
	if want := []byte{'a', 0xFF, 'b', 0x0D, 0x00, 'c'}; !bytes.Equal(data, want) {
		t.Errorf("data % x, want % x", data, want)
	}
	want := [][]byte{{tnIAC, tnDONT, 1}, {tnIAC, tnWONT, 24}}
	if len(sent) != len(want) || !bytes.Equal(sent[0], want[0]) || !bytes.Equal(sent[1], want[1]) {
		t.Errorf("answers % x, want % x", sent, want)
	}
	select {
	case <-tn.comPort:
	default:
		t.Error("DO COM-PORT-OPTION not seen")
	}
	if m := tn.modem.Load(); m != modemCTS|modemDCD+1 {
		t.Errorf("modem %#x", m-1)
	}
	if r := <-tn.resp; !bytes.Equal(r, []byte{cpServerOffset + cpSetBaud, 0, 0, 0xFF, 0}) {
		t.Errorf("baud answer % x", r)
	}
}

func FuzzTelnetDecode(f *testing.F) {
	f.Add([]byte{tnIAC, tnSB, optComPort, 107, 0x30, tnIAC, tnSE, 'x'})
	f.Add([]byte{tnIAC, tnIAC, tnIAC, tnDO, 44})
	f.Fuzz(func(t *testing.T, in []byte) {
		tn := newTelnet(func([]byte) {})
		out := tn.decode(in)
		if len(out) > len(in) {
			t.Fatalf("%d data bytes from %d", len(out), len(in))
		}
		if !bytes.Contains(in, []byte{tnIAC}) && !bytes.Equal(out, in) {
			t.Fatalf("plain bytes changed")
		}
	})
}

// TestRFC2217ModemLinesConfirmed drives a scripted RFC 2217 server (real
// TCP) that owns a UART with modem lines: it confirms DTR and RTS and
// reports CTS and DCD up. (ser2net with a pty behind it cannot: see
// remote_test.go.)
func TestRFC2217ModemLinesConfirmed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	controls := make(chan byte, 8)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte{tnIAC, tnDO, optComPort})
		buf := make([]byte, 256)
		var sb []byte
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			// Server side: echo every COM-PORT command back as its answer.
			for _, b := range buf[:n] {
				sb = append(sb, b)
				if len(sb) >= 2 && sb[len(sb)-2] == tnIAC && sb[len(sb)-1] == tnSE {
					if i := bytes.Index(sb, []byte{tnIAC, tnSB, optComPort}); i >= 0 {
						body := sb[i+3 : len(sb)-2]
						if body[0] == cpSetControl {
							controls <- body[1]
						}
						c.Write(command(body[0]+cpServerOffset, body[1:]...))
						if body[0] == cpSetStopSize {
							c.Write(command(cpServerOffset+cpNotifyModem, modemCTS|modemDCD))
						}
					}
					sb = nil
				}
			}
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	p, err := OpenAddr(ctx, "rfc2217://"+l.Addr().String(), Options{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ml := p.(ModemLines)
	if err := ml.SetDTR(true); err != nil {
		t.Fatal(err)
	}
	if err := ml.SetRTS(false); err != nil {
		t.Fatal(err)
	}
	if a, b := <-controls, <-controls; a != ctlDTROn || b != ctlRTSOff {
		t.Errorf("controls %d %d, want DTR on (8), RTS off (12)", a, b)
	}
	st, err := ml.Status()
	if err != nil || st != (ModemStatus{CTS: true, DCD: true}) {
		t.Errorf("status %+v %v, want CTS and DCD", st, err)
	}
}
