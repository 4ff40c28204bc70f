// Package pcapng writes a scenario's traffic as a pcapng file that
// Wireshark and tshark open: APDUs as exported PDUs for Wireshark's
// iso7816 dissector (link type 252, WIRESHARK_UPPER_PDU; tshark shows
// "Interface → Card ISO 7816 Select file") and ISO 8583 messages as TCP
// segments between the terminal and the host on an Ethernet interface, in
// one time-ordered section.
//
// It writes only what package evidence already masked: PANs first 6 /
// last 4, no track 2 discretionary data, and PIN data (VERIFY, field 52)
// never: a VERIFY's data is written as FF bytes of the same length, with
// a packet comment saying so. It is a writer, not a capture tool: the
// packets are rebuilt from evidence, the TCP/IP framing is synthetic.
package pcapng

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Link types (https://www.tcpdump.org/linktypes.html).
const (
	LinkTypeEthernet uint16 = 1
	// LinkTypeUpperPDU carries PDUs for a Wireshark dissector named in a
	// tag before each packet (see ExportedPDU).
	LinkTypeUpperPDU uint16 = 252
)

// ExportedPDU prefixes data with the exported-PDU tags that hand it to the
// Wireshark dissector named dissector (e.g. "iso7816"), for packets on a
// LinkTypeUpperPDU interface.
func ExportedPDU(dissector string, data []byte) []byte {
	name := append([]byte(dissector), 0)
	name = append(name, make([]byte, pad4(len(name)))...)
	out := make([]byte, 0, 8+len(name)+len(data))
	out = binary.BigEndian.AppendUint16(out, 12) // EXP_PDU_TAG_DISSECTOR_NAME
	out = binary.BigEndian.AppendUint16(out, uint16(len(name)))
	out = append(out, name...)
	out = binary.BigEndian.AppendUint32(out, 0) // EXP_PDU_TAG_END_OF_OPT, length 0
	return append(out, data...)
}

// Direction of a packet as seen from its interface (epb_flags bits 0-1).
type Direction uint32

// Directions.
const (
	DirUnknown  Direction = 0
	DirInbound  Direction = 1
	DirOutbound Direction = 2
)

// ErrWrite wraps every failure to write a pcapng stream.
var ErrWrite = errors.New("pcapng: write")

const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockEPB = 0x00000006

	optEnd      = 0
	optComment  = 1
	optUserAppl = 4 // shb_userappl
	optIfName   = 2 // if_name
	optIfDesc   = 3 // if_description
	optIfTSRes  = 9 // if_tsresol
	optEPBFlags = 2 // epb_flags

	snapLen = 262144
)

var le = binary.LittleEndian

// Writer writes one pcapng section: a section header, interfaces, then
// packets. Timestamps are in microseconds. A Writer stops at its first
// error and returns it from every later call.
type Writer struct {
	w      io.Writer
	ifaces []uint16
	err    error
}

// NewWriter writes a section header naming app as the writing program.
func NewWriter(w io.Writer, app string) (*Writer, error) {
	pw := &Writer{w: w}
	body := make([]byte, 16)
	le.PutUint32(body[0:], 0x1A2B3C4D) // byte-order magic
	le.PutUint16(body[4:], 1)          // major
	le.PutUint16(body[6:], 0)          // minor
	le.PutUint64(body[8:], ^uint64(0)) // section length: unknown
	body = appendOpt(body, optUserAppl, []byte(app))
	body = appendOpt(body, optEnd, nil)
	pw.block(blockSHB, body)
	return pw, pw.err
}

// AddInterface declares an interface and returns its id for WritePacket.
func (w *Writer) AddInterface(linkType uint16, name, desc string) (int, error) {
	body := make([]byte, 8)
	le.PutUint16(body[0:], linkType)
	le.PutUint32(body[4:], snapLen)
	body = appendOpt(body, optIfName, []byte(name))
	if desc != "" {
		body = appendOpt(body, optIfDesc, []byte(desc))
	}
	body = appendOpt(body, optIfTSRes, []byte{6}) // microseconds
	body = appendOpt(body, optEnd, nil)
	w.block(blockIDB, body)
	w.ifaces = append(w.ifaces, linkType)
	return len(w.ifaces) - 1, w.err
}

// WritePacket writes one enhanced packet block on iface at ts with the
// direction flag and an optional comment.
func (w *Writer) WritePacket(iface int, ts time.Time, data []byte, dir Direction, comment string) error {
	if w.err != nil {
		return w.err
	}
	if iface < 0 || iface >= len(w.ifaces) {
		return fmt.Errorf("%w: no interface %d", ErrWrite, iface)
	}
	if len(data) > snapLen {
		data = data[:snapLen]
	}
	us := uint64(ts.UnixMicro())
	body := make([]byte, 20, 20+len(data)+64)
	le.PutUint32(body[0:], uint32(iface))
	le.PutUint32(body[4:], uint32(us>>32))
	le.PutUint32(body[8:], uint32(us))
	le.PutUint32(body[12:], uint32(len(data)))
	le.PutUint32(body[16:], uint32(len(data)))
	body = append(body, data...)
	body = append(body, make([]byte, pad4(len(data)))...)
	if dir != DirUnknown {
		f := make([]byte, 4)
		le.PutUint32(f, uint32(dir))
		body = appendOpt(body, optEPBFlags, f)
	}
	if comment != "" {
		body = appendOpt(body, optComment, []byte(comment))
	}
	body = appendOpt(body, optEnd, nil)
	w.block(blockEPB, body)
	return w.err
}

// block writes type, total length, body, total length.
func (w *Writer) block(typ uint32, body []byte) {
	if w.err != nil {
		return
	}
	total := uint32(12 + len(body))
	b := make([]byte, 0, total)
	b = le.AppendUint32(b, typ)
	b = le.AppendUint32(b, total)
	b = append(b, body...)
	b = le.AppendUint32(b, total)
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("%w: %w", ErrWrite, err)
	}
}

// appendOpt appends one option (code, length, value padded to 4).
func appendOpt(b []byte, code uint16, v []byte) []byte {
	if len(v) > 0xFFFF {
		v = v[:0xFFFF]
	}
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, pad4(len(v)))...)
}

func pad4(n int) int { return (4 - n%4) % 4 }
