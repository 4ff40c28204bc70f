package evidence_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/evidence"
)

// TestTapVisaTransaction plays a chip transaction on the emulated Visa
// test card through Tap and checks the log: commands named, GENERATE AC
// data split by the card's CDOL1, and no PAN, track 2 discretionary data
// or PIN block anywhere in what would be stored.
func TestTapVisaTransaction(t *testing.T) {
	p, err := cards.Lookup("visa-credit")
	if err != nil {
		t.Fatal(err)
	}
	card, err := emvcard.New(p)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	log := evidence.NewAPDULog(start)
	c := evidence.Tap(card, log)
	ctx := context.Background()
	c.Power(vpcd.PowerOn)

	tx := func(capdu string) []byte {
		t.Helper()
		b, _ := hex.DecodeString(strings.ReplaceAll(capdu, " ", ""))
		r, err := c.Transmit(ctx, b)
		if err != nil {
			t.Fatalf("%s: %v", capdu, err)
		}
		if len(r) == 2 && r[0] == 0x6C { // T=0 style: repeat with the exact Le
			b[len(b)-1] = r[1]
			if r, err = c.Transmit(ctx, b); err != nil {
				t.Fatalf("%s: %v", capdu, err)
			}
		}
		if len(r) == 2 && r[0] == 0x61 { // T=0 style: fetch the answer
			if r, err = c.Transmit(ctx, []byte{0x00, 0xC0, 0x00, 0x00, r[1]}); err != nil {
				t.Fatalf("GET RESPONSE: %v", err)
			}
		}
		return r
	}
	tx("00A404000E325041592E5359532E444446303100")
	tx("00A4040007A000000003101000")
	gpo := tx("80A8000002830000")
	list, err := evidence.ParseTLV(gpo[:len(gpo)-2])
	if err != nil || len(list) != 1 {
		t.Fatalf("GPO answer % X: %v", gpo, err)
	}
	var afl []byte
	switch list[0].Tag {
	case "80": // format 1: AIP (2) then AFL
		afl = list[0].Value[2:]
	case "77":
		for _, c := range list[0].Children {
			if c.Tag == "94" {
				afl = c.Value
			}
		}
	}
	if len(afl) == 0 || len(afl)%4 != 0 {
		t.Fatalf("no AFL in GPO answer % X", gpo)
	}
	for i := 0; i+4 <= len(afl); i += 4 {
		sfi := afl[i] >> 3
		for rec := afl[i+1]; rec <= afl[i+2]; rec++ {
			tx(hex.EncodeToString([]byte{0x00, 0xB2, rec, sfi<<3 | 4, 0x00}))
		}
	}
	tx("0020008008 241234FFFFFFFFFF") // the card's PIN: 1234
	tx("80AE80001D 000000001250 000000000000 0056 0000000000 0978 491231 00 11223344 00")

	entries := log.Entries()
	var names []string
	for _, e := range entries {
		names = append(names, e.Command)
	}
	got := strings.Join(names, ",")
	got = strings.ReplaceAll(got, ",GET RESPONSE", "")
	if !strings.HasPrefix(got, "SELECT,SELECT,GPO,READ RECORD") || !strings.HasSuffix(got, "VERIFY,GENERATE AC") {
		t.Errorf("commands %s", got)
	}
	var gac, verify evidence.APDUEntry
	for _, e := range entries {
		switch e.Command {
		case "GENERATE AC":
			gac = e
		case "VERIFY":
			verify = e
		}
	}
	if gac.Detail != "ARQC" || len(gac.Data) == 0 || gac.Data[0].Tag != "9F02" || gac.Data[0].Value != "000000001250" {
		t.Errorf("GENERATE AC data not split by CDOL1: %+v", gac)
	}
	if verify.Withheld != 8 || verify.Status != "OK" || verify.CAPDU != "0020008008" {
		t.Errorf("VERIFY entry %+v", verify)
	}
	if sel := entries[0]; sel.Detail != "2PAY.SYS.DDF01" || sel.CAPDU != "00A404000E325041592E5359532E444446303100" {
		t.Errorf("SELECT entry %+v", sel)
	}
	if len(log.Timeline()) != 1 || log.Timeline()[0].Kind != "power_on" {
		t.Errorf("timeline %+v", log.Timeline())
	}

	data, _ := json.Marshal(entries)
	stored := strings.ToUpper(string(data))
	for _, secret := range []string{p.PAN, p.PAN[6:12], "241234"} {
		if strings.Contains(stored, secret) {
			t.Errorf("stored APDUs contain %q", secret)
		}
	}
	if !strings.Contains(stored, "476173******0010") {
		t.Errorf("masked PAN not shown:\n%s", data)
	}
	for _, e := range entries {
		if e.Took < 0 || e.At < 0 {
			t.Errorf("times %v %v", e.At, e.Took)
		}
	}
}

// pulled is a card that is pulled at the first APDU.
type pulled struct{ vpcd.Card }

func (pulled) Transmit(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("card pulled")
}

func TestTapPulledCard(t *testing.T) {
	log := evidence.NewAPDULog(time.Now())
	c := evidence.Tap(pulled{}, log)
	if _, err := c.Transmit(context.Background(), []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}); err == nil {
		t.Fatal("no error")
	}
	e := log.Entries()
	if len(e) != 1 || e[0].Class != evidence.ClassError || e[0].Error != "card pulled" || !strings.Contains(e[0].Summary(), "card pulled") {
		t.Errorf("entries %+v", e)
	}
}

func TestAPDULogConcurrentAndBounded(t *testing.T) {
	log := evidence.NewAPDULog(time.Now())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range evidence.MaxAPDUs + 10 {
			log.Add(time.Now(), time.Microsecond, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}, []byte{0x90, 0x00}, nil)
		}
	}()
	for range 100 {
		_ = log.Entries()
		log.Event(time.Now(), "reset", "card reset")
	}
	<-done
	e := log.Entries()
	if len(e) != evidence.MaxAPDUs+1 || e[len(e)-1].Command != "dropped" || !strings.Contains(e[len(e)-1].Error, "10 more APDUs") {
		t.Errorf("%d entries, last %+v", len(e), e[len(e)-1])
	}
}
