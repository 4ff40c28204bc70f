package evidence

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
)

func TestHostEntries(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	req := &acquirer.Txn{
		MTI: "0200", PAN: testPAN, ProcessingCode: "000000", Amount: 2000, STAN: 17,
		TransmissionTime: start, LocalTime: start, Expiry: "4912", EntryMode: "051", PANSeq: "001",
		Track2: testPAN + "=49122011234567899999", TerminalID: "POSHIL01", MerchantID: "POSHIL-MERCHANT",
		Currency: "978", PINBlock: []byte{0x24, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
		ICC: hx(t, "9F2608 0102030405060708 5A08 4761739001010010 5713 4761739001010010D49122011234567899999F 9F0206 000000002000"),
	}
	resp := &acquirer.Txn{MTI: "0210", PAN: testPAN, ResponseCode: "51", STAN: 17}
	journal := []acquirer.Record{
		{Seq: 1, Time: start.Add(120 * time.Millisecond), Dir: acquirer.In, Conn: 1, Txn: req, Raw: 200},
		{Seq: 2, Time: start.Add(125 * time.Millisecond), Dir: acquirer.Out, Conn: 1, Txn: resp, Raw: 80},
		{Seq: 3, Time: start.Add(300 * time.Millisecond), Dir: acquirer.In, Conn: 2, Raw: 12, Err: errors.New("malformed: pan " + testPAN)},
	}
	es := HostEntries(journal, start)
	if len(es) != 3 {
		t.Fatalf("%d entries", len(es))
	}
	if e := es[0]; e.Dir != ToHost || e.MTI != "0200" || e.At != 120*time.Millisecond || e.Meaning != "financial request" || e.Conn != 1 {
		t.Errorf("request %+v", e)
	}
	if e := es[1]; e.Dir != FromHost || e.Meaning != "financial response: 51 INSUFFICIENT_FUNDS" {
		t.Errorf("response %+v", e)
	}
	if e := es[2]; e.Error != "malformed: pan 476173******0010" || e.Summary != "undecodable message" {
		t.Errorf("bad message %+v", e)
	}
	byID := map[int]HostField{}
	for _, f := range es[0].Fields {
		byID[f.ID] = f
	}
	for id, want := range map[int]string{2: "476173******0010", 4: "000000002000", 35: "476173******0010=4912", 52: PINWithheld, 41: "POSHIL01", 11: "000017", 7: "0301120000"} {
		if byID[id].Value != want {
			t.Errorf("field %d = %q, want %q", id, byID[id].Value, want)
		}
	}
	if byID[4].Note != "20.00" || byID[2].Name != "Primary Account Number" || len(byID[55].TLV) != 4 {
		t.Errorf("fields %+v", byID)
	}
	data, _ := json.Marshal(es)
	s := strings.ToUpper(string(data))
	for _, secret := range []string{testPAN, "1234567899999", "241234", "2412"} {
		if strings.Contains(s, secret) {
			t.Errorf("host evidence contains %q:\n%s", secret, data)
		}
	}
}

func TestMTIMeaning(t *testing.T) {
	for mti, want := range map[string]string{"0100": "authorisation request", "0410": "reversal response", "0201": "financial request (repeat)",
		"0420": "reversal advice", "0800": "network management request", "0900": "class 9 request", "02": ""} {
		if got := mtiMeaning(mti); got != want {
			t.Errorf("mtiMeaning(%s) = %q, want %q", mti, got, want)
		}
	}
}

func TestFaultNote(t *testing.T) {
	start := time.Now()
	for text, kind := range map[string]string{
		"armed sag on MTI 0200":                      "armed",
		"injected sag (on MTI 0200)":                 "injected",
		"cleared sag":                                "cleared",
		"inject sag failed: supply 4761739001010010": "failed",
	} {
		e := FaultNote(start, start.Add(time.Second), text)
		if e.Kind != kind || e.Source != SourceFault || e.At != time.Second || strings.Contains(e.Text, testPAN) {
			t.Errorf("FaultNote(%q) = %+v", text, e)
		}
	}
}
