package pcapng

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/outfile"
	"github.com/poshil/poshil/harness/secrets"
)

// App names poshil as the writer in the section header.
const App = "poshil"

// packet is one packet waiting to be written in time order.
type packet struct {
	ts      time.Time
	iface   int
	data    []byte
	dir     Direction
	comment string
}

// WriteTrace writes a scenario's APDUs and host messages to w as one
// pcapng section; start is when the scenario started (entries' At are
// relative to it). An interface is declared only for traffic present:
// "card" (exported PDUs for the iso7816 dissector; commands outbound,
// responses inbound) and "host"
// (Ethernet; ISO 8583 over TCP, the terminal on port 40000+connection,
// the host on 8583, each message with its 2-byte length prefix).
//
// Every payload and comment is scrubbed with sc (the run's secrets; nil:
// unknown card data only) before it is framed, so a secret the entries
// still held never reaches the file, in text nor in BCD.
func WriteTrace(w io.Writer, start time.Time, apdus []evidence.APDUEntry, host []evidence.HostEntry, sc *secrets.Scrubber) error {
	bw := bufio.NewWriter(w)
	pw, err := NewWriter(bw, App)
	if err != nil {
		return err
	}
	var pkts []packet
	if len(apdus) > 0 {
		id, err := pw.AddInterface(LinkTypeUpperPDU, "card", "APDUs between the terminal's reader and the card (iso7816)")
		if err != nil {
			return err
		}
		pkts = append(pkts, apduPackets(id, start, apdus, sc)...)
	}
	if len(host) > 0 {
		id, err := pw.AddInterface(LinkTypeEthernet, "host", fmt.Sprintf("ISO 8583 between the terminal and the acquirer host (tcp port %d), synthetic framing", HostPort))
		if err != nil {
			return err
		}
		pkts = append(pkts, hostPackets(id, start, host, sc)...)
	}
	sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].ts.Before(pkts[j].ts) })
	for _, p := range pkts {
		if err := pw.WritePacket(p.iface, p.ts, p.data, p.dir, sc.String(p.comment)); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// WriteFile writes the trace to path (directories made as needed),
// atomically, mode 0666 less the umask.
func WriteFile(path string, start time.Time, apdus []evidence.APDUEntry, host []evidence.HostEntry, sc *secrets.Scrubber) error {
	err := outfile.Write(path, func(w io.Writer) error { return WriteTrace(w, start, apdus, host, sc) })
	if err != nil && !errors.Is(err, ErrWrite) {
		return fmt.Errorf("%w: %s: %w", ErrWrite, path, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func apduPackets(iface int, start time.Time, apdus []evidence.APDUEntry, sc *secrets.Scrubber) []packet {
	var out []packet
	for _, e := range apdus {
		cmd := sc.Bytes(e.CommandBytes())
		if len(cmd) == 0 {
			continue // a "dropped" marker, no command
		}
		at := start.Add(e.At)
		comment := e.Summary()
		if e.Withheld > 0 {
			comment += fmt.Sprintf("; %d data bytes withheld, written as FF", e.Withheld)
		}
		out = append(out, packet{ts: at, iface: iface, data: ExportedPDU("iso7816", cmd), dir: DirOutbound, comment: comment})
		if r := sc.Bytes(e.ResponseBytes()); len(r) > 0 {
			c := e.Status
			if e.Error != "" {
				c = e.Error
			}
			out = append(out, packet{ts: at.Add(e.Took), iface: iface, data: ExportedPDU("iso7816", r), dir: DirInbound, comment: c})
		}
	}
	return out
}

func hostPackets(iface int, start time.Time, host []evidence.HostEntry, sc *secrets.Scrubber) []packet {
	flows := map[int]*flow{}
	var out []packet
	for _, e := range host {
		ts := start.Add(e.At)
		f := flows[e.Conn]
		if f == nil {
			f = &flow{port: TerminalPortBase + uint16(e.Conn%20000), seqTerm: 1000, seqHost: 5000}
			flows[e.Conn] = f
			comment := fmt.Sprintf("connection %d (handshake synthesised)", e.Conn)
			out = append(out,
				packet{ts: ts, iface: iface, data: f.segment(true, tcpSYN, nil), comment: comment},
				packet{ts: ts, iface: iface, data: f.segment(false, tcpSYN|tcpACK, nil)},
				packet{ts: ts, iface: iface, data: f.segment(true, tcpACK, nil)})
		}
		toHost := e.Dir == evidence.ToHost
		comment := e.Summary
		if e.Meaning != "" {
			comment = e.Meaning + ": " + comment
		}
		if e.Error != "" {
			comment += "; error: " + e.Error
		}
		msg, omitted, err := PackHost(e)
		if len(omitted) > 0 {
			comment += fmt.Sprintf("; fields %v left out (masked or PIN)", omitted)
		}
		if err != nil {
			comment += fmt.Sprintf("; %d bytes on the wire not rebuilt: %v", e.Length, err)
			out = append(out, packet{ts: ts, iface: iface, data: f.segment(toHost, tcpACK, nil), comment: comment})
			continue
		}
		msg = sc.Bytes(msg)
		payload := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
		payload = append(payload, msg...)
		out = append(out, packet{ts: ts, iface: iface, data: f.segment(toHost, tcpPSH|tcpACK, payload), comment: comment})
	}
	return out
}
