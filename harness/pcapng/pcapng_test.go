package pcapng_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/pcapng"
)

const pan = "4761739001010010"

func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trace is a small scenario: PPSE, a wrong PIN, a record with the PAN, and
// a declined sale at the host.
func trace(t testing.TB) (time.Time, []evidence.APDUEntry, []evidence.HostEntry) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var d evidence.Decoder
	var apdus []evidence.APDUEntry
	add := func(ms int, c, r string) {
		e := d.Decode(hx(t, c), hx(t, r))
		e.At, e.Took = time.Duration(ms)*time.Millisecond, 200*time.Microsecond
		apdus = append(apdus, e)
	}
	add(10, "00A404000E325041592E5359532E444446303100", "6F 10 84 0E 325041592E5359532E4444463031 9000")
	add(20, "0020008008 241234FFFFFFFFFF", "63C2")
	add(30, "00B2010C00", "70 1F 5A 08 4761739001010010 57 13 4761739001010010 D4912201 1234567899999F 9000")
	req := &acquirer.Txn{MTI: "0200", PAN: pan, ProcessingCode: "000000", Amount: 5100, STAN: 17,
		Track2: pan + "=4912201", TerminalID: "POSHIL01", Currency: "978",
		PINBlock: hx(t, "0412AC89ABCDEF67"), ICC: hx(t, "9F2608 0102030405060708")}
	resp := &acquirer.Txn{MTI: "0210", PAN: pan, ResponseCode: "51", STAN: 17}
	host := evidence.HostEntries([]acquirer.Record{
		{Seq: 1, Time: start.Add(40 * time.Millisecond), Dir: acquirer.In, Conn: 1, Txn: req, Raw: 90},
		{Seq: 2, Time: start.Add(45 * time.Millisecond), Dir: acquirer.Out, Conn: 1, Txn: resp, Raw: 30},
		{Seq: 3, Time: start.Add(50 * time.Millisecond), Dir: acquirer.In, Conn: 2, Raw: 7, Err: errors.New("bad frame")},
	}, start)
	return start, apdus, host
}

// block is one pcapng block read back.
type block struct {
	typ  uint32
	body []byte
}

func readBlocks(t *testing.T, b []byte) []block {
	t.Helper()
	var out []block
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("%d trailing bytes", len(b))
		}
		typ, n := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		if n%4 != 0 || int(n) > len(b) || binary.LittleEndian.Uint32(b[n-4:]) != n {
			t.Fatalf("block %x: bad length %d", typ, n)
		}
		out = append(out, block{typ, b[8 : n-4]})
		b = b[n:]
	}
	return out
}

func TestWriteTraceStructure(t *testing.T) {
	start, apdus, host := trace(t)
	var buf bytes.Buffer
	if err := pcapng.WriteTrace(&buf, start, apdus, host, nil); err != nil {
		t.Fatal(err)
	}
	blocks := readBlocks(t, buf.Bytes())
	if blocks[0].typ != 0x0A0D0D0A || binary.LittleEndian.Uint32(blocks[0].body) != 0x1A2B3C4D {
		t.Fatalf("no section header first")
	}
	var links []uint16
	var epbs []block
	for _, b := range blocks[1:] {
		switch b.typ {
		case 1:
			links = append(links, binary.LittleEndian.Uint16(b.body))
		case 6:
			epbs = append(epbs, b)
		}
	}
	if len(links) != 2 || links[0] != pcapng.LinkTypeUpperPDU || links[1] != pcapng.LinkTypeEthernet {
		t.Errorf("interfaces %v", links)
	}
	// 3 APDUs x 2 + handshake 3 + 2 messages + handshake 3 + 1 undecodable.
	if len(epbs) != 6+3+2+3+1 {
		t.Errorf("%d packets", len(epbs))
	}
	var last uint64
	for i, p := range epbs {
		ts := uint64(binary.LittleEndian.Uint32(p.body[4:]))<<32 | uint64(binary.LittleEndian.Uint32(p.body[8:]))
		if ts < last {
			t.Errorf("packet %d out of time order", i)
		}
		last = ts
	}
	first := epbs[0].body
	if ts := uint64(binary.LittleEndian.Uint32(first[4:]))<<32 | uint64(binary.LittleEndian.Uint32(first[8:])); ts != uint64(start.Add(10*time.Millisecond).UnixMicro()) {
		t.Errorf("first timestamp %d", ts)
	}
}

// TestNoSecretsInPcap: the PIN block, the PAN (ASCII and BCD) and the
// track 2 discretionary data never reach the file.
func TestNoSecretsInPcap(t *testing.T) {
	start, apdus, host := trace(t)
	var buf bytes.Buffer
	if err := pcapng.WriteTrace(&buf, start, apdus, host, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for name, secret := range map[string][]byte{
		"VERIFY PIN block": hx(t, "241234"), "field 52": hx(t, "0412AC89ABCDEF67"),
		"ASCII PAN": []byte(pan), "BCD PAN": hx(t, pan), "BCD PAN middle": hx(t, "900101"),
		"ASCII PAN middle": []byte("900101"), "discretionary": hx(t, "12345678"),
	} {
		if bytes.Contains(b, secret) {
			t.Errorf("pcapng contains the %s", name)
		}
	}
	if !bytes.Contains(b, []byte("476173******0010")) {
		t.Error("masked PAN not in the packet comments")
	}
}

func TestPackHost(t *testing.T) {
	_, _, host := trace(t)
	msg, omitted, err := pcapng.PackHost(host[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(omitted) != 3 || omitted[0] != 2 || omitted[1] != 35 || omitted[2] != 52 {
		t.Errorf("omitted %v, want [2 35 52]", omitted)
	}
	back, err := acquirer.Decode(msg)
	if err != nil {
		t.Fatalf("packed message does not decode: %v", err)
	}
	if back.MTI != "0200" || back.Amount != 5100 || back.STAN != 17 || back.TerminalID != "POSHIL01" || back.PAN != "" || back.PINBlock != nil {
		t.Errorf("decoded back %+v", back)
	}
	if _, _, err := pcapng.PackHost(host[2]); !errors.Is(err, pcapng.ErrPack) {
		t.Errorf("undecodable entry packed: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	start, apdus, host := trace(t)
	if err := pcapng.WriteTrace(failWriter{}, start, apdus, host, nil); !errors.Is(err, pcapng.ErrWrite) {
		t.Errorf("error %v, want ErrWrite", err)
	}
	err := pcapng.WriteFile(filepath.Join(t.TempDir(), "missing", "\x00bad", "t.pcapng"), start, apdus, host, nil)
	if !errors.Is(err, pcapng.ErrWrite) || !strings.Contains(err.Error(), "t.pcapng") {
		t.Errorf("error %v, want ErrWrite naming the file", err)
	}
	w, _ := pcapng.NewWriter(&bytes.Buffer{}, "x")
	if err := w.WritePacket(3, start, nil, pcapng.DirUnknown, ""); !errors.Is(err, pcapng.ErrWrite) {
		t.Errorf("packet on a missing interface: %v", err)
	}
}

// TestTshark reads the trace with tshark: APDUs decoded by the iso7816
// dissector, TCP checksums right, ISO 8583 decoded with the dialect's
// settings. Skipped without tshark unless CI is set.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark missing on CI: apt-get install -y tshark")
		}
		t.Skip("tshark not installed")
	}
	start, apdus, host := trace(t)
	path := filepath.Join(t.TempDir(), "trace.pcapng")
	if err := pcapng.WriteFile(path, start, apdus, host, nil); err != nil {
		t.Fatal(err)
	}
	// One run (tshark starts slowly): summaries (-P) and details (-V), no
	// name lookups, checksums checked, the ISO 8583 dialect's settings.
	cmd := exec.Command(tshark, "-n", "-r", path, "-P", "-V",
		"-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-o", "iso8583.len_endian:Big endian", "-o", "iso8583.tcp.port:8583")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no user preferences
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Interface → Card", "ISO 7816", "Select file", "Verify", "Response APDU (to Read record)", // iso7816
		"40001 → 8583 [SYN]", "financial request: 0200", "476173******0010", "data bytes withheld, written as FF", // TCP, comments
		"MTI: 0200", "Bit 4: 000000005100", "Bit 39: 51", // iso8583
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tshark output lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(out), "checksum incorrect") || strings.Contains(out, "[Bad") {
		t.Errorf("tshark finds bad checksums:\n%s", out)
	}
}
