package pcapng

import "encoding/binary"

// Synthetic addressing of the host messages: both ends on loopback, the
// terminal on port TerminalPortBase+connection, the host on HostPort.
const (
	HostPort         = 8583
	TerminalPortBase = 40000
)

var (
	loopback    = [4]byte{127, 0, 0, 1}
	macTerminal = [6]byte{0x02, 0, 0, 0, 0, 0x01}
	macHost     = [6]byte{0x02, 0, 0, 0, 0, 0x02}
)

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpPSH = 0x08
	tcpACK = 0x10
)

// flow is one synthetic TCP connection between terminal and host, with
// the next sequence number of each side.
type flow struct {
	port             uint16
	seqTerm, seqHost uint32
	ipID             uint16
}

// segment builds an Ethernet/IPv4/TCP frame; toHost picks the direction.
// Sequence numbers advance by the payload (and by one for SYN).
func (f *flow) segment(toHost bool, flags byte, payload []byte) []byte {
	src, dst := f.port, uint16(HostPort)
	smac, dmac := macTerminal, macHost
	seq, ack := &f.seqTerm, f.seqHost
	if !toHost {
		src, dst = dst, src
		smac, dmac = dmac, smac
		seq, ack = &f.seqHost, f.seqTerm
	}
	if flags&tcpSYN != 0 && flags&tcpACK == 0 {
		ack = 0
	}
	tcp := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(tcp[0:], src)
	binary.BigEndian.PutUint16(tcp[2:], dst)
	binary.BigEndian.PutUint32(tcp[4:], *seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	tcp = append(tcp, payload...)
	binary.BigEndian.PutUint16(tcp[16:], tcpChecksum(tcp))
	*seq += uint32(len(payload))
	if flags&(tcpSYN|tcpFIN) != 0 {
		*seq++
	}

	ip := make([]byte, 20, 20+len(tcp))
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
	f.ipID++
	binary.BigEndian.PutUint16(ip[4:], f.ipID)
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // don't fragment
	ip[8] = 64                                 // TTL
	ip[9] = 6                                  // TCP
	copy(ip[12:], loopback[:])
	copy(ip[16:], loopback[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip, 0))
	ip = append(ip, tcp...)

	eth := make([]byte, 14, 14+len(ip))
	copy(eth[0:], dmac[:])
	copy(eth[6:], smac[:])
	binary.BigEndian.PutUint16(eth[12:], 0x0800)
	return append(eth, ip...)
}

// tcpChecksum is the TCP checksum over the IPv4 pseudo-header and seg.
func tcpChecksum(seg []byte) uint16 {
	var sum uint32
	for _, a := range [][4]byte{loopback, loopback} {
		sum += uint32(a[0])<<8 | uint32(a[1])
		sum += uint32(a[2])<<8 | uint32(a[3])
	}
	sum += 6 + uint32(len(seg))
	return checksum(seg, sum)
}

// checksum is the Internet checksum of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xFFFF {
		sum = sum>>16 + sum&0xFFFF
	}
	return ^uint16(sum)
}
