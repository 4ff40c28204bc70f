package evidence

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/poshil/poshil/fixtures/acquirer"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/secrets"
)

// Directions of a host message, seen from the terminal.
const (
	ToHost   = "to_host"
	FromHost = "from_host"
)

// HostEntry is one ISO 8583 message between the terminal and the
// acquirer host, masked: PAN first 6 / last 4, track 2 cut to PAN and
// expiry, no PIN block (field 52 is listed as withheld, never with data).
type HostEntry struct {
	// At is when the host read (or wrote) the message, since the scenario
	// started.
	At time.Duration `json:"at_ns"`
	// Seq is the message's place in the host journal; Conn the TCP
	// connection it came on (1, 2, ... per host).
	Seq  int    `json:"seq"`
	Conn int    `json:"conn"`
	Dir  string `json:"dir"` // ToHost or FromHost
	MTI  string `json:"mti,omitempty"`
	// Meaning reads the MTI and, for responses, field 39: "financial
	// request", "reversal response: 00 approved".
	Meaning string `json:"meaning,omitempty"`
	// Summary is the message on one line (acquirer.Txn.String).
	Summary string `json:"summary"`
	// Fields are the data elements present, in field order, with their
	// wire text masked (field 55 in hex, decoded in TLV).
	Fields []HostField `json:"fields,omitempty"`
	// Length is the message's length on the wire, without the prefix.
	Length int    `json:"length"`
	Error  string `json:"error,omitempty"`
}

// HostField is one ISO 8583 data element.
type HostField struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Value is the field as sent (ASCII text; hex for binary field 55),
	// masked; for field 52 it is PINWithheld.
	Value string `json:"value"`
	// Note reads the value: "20.00", "51 insufficient funds".
	Note string `json:"note,omitempty"`
	// TLV decodes field 55.
	TLV []TLVField `json:"tlv,omitempty"`
}

// HostEntries turns the emulated acquirer's journal into masked entries;
// start is when the scenario started.
func HostEntries(journal []acquirer.Record, start time.Time) []HostEntry {
	out := make([]HostEntry, 0, len(journal))
	for _, r := range journal {
		out = append(out, HostEntryOf(r, start))
	}
	return out
}

// HostEntryOf masks one journal record.
func HostEntryOf(r acquirer.Record, start time.Time) HostEntry {
	e := HostEntry{At: r.Time.Sub(start), Seq: r.Seq, Conn: r.Conn, Length: r.Raw, Dir: ToHost}
	if r.Dir == acquirer.Out {
		e.Dir = FromHost
	}
	if r.Err != nil {
		e.Error = secrets.MaskText(r.Err.Error())
	}
	t := r.Txn
	if t == nil {
		e.Summary = "undecodable message"
		return e
	}
	e.MTI = t.MTI
	e.Summary = t.String()
	e.Meaning = mtiMeaning(t.MTI)
	if t.ResponseCode != "" {
		e.Meaning += ": " + t.ResponseCode + " " + responseText(t.ResponseCode)
	}
	e.Fields = hostFields(t)
	return e
}

// hostFields lists t's data elements in field order, masked.
func hostFields(t *acquirer.Txn) []HostField {
	var out []HostField
	add := func(id int, v, note string) {
		if v != "" {
			out = append(out, HostField{ID: id, Name: FieldName(id), Value: v, Note: note})
		}
	}
	add(2, secrets.MaskPAN(t.PAN), "")
	add(3, t.ProcessingCode, "")
	if t.Amount != 0 {
		add(4, fmt.Sprintf("%012d", t.Amount), fmt.Sprintf("%d.%02d", t.Amount/100, t.Amount%100))
	}
	if !t.TransmissionTime.IsZero() {
		add(7, t.TransmissionTime.UTC().Format("0102150405"), "")
	}
	if t.STAN != 0 {
		add(11, fmt.Sprintf("%06d", t.STAN), "")
	}
	if !t.LocalTime.IsZero() {
		add(12, t.LocalTime.Format("150405"), "")
		add(13, t.LocalTime.Format("0102"), "")
	}
	add(14, t.Expiry, "")
	add(22, t.EntryMode, entryModeText(t.EntryMode))
	add(23, t.PANSeq, "")
	if t.Track2 != "" {
		add(35, maskTrack2Text(t.Track2), "")
	}
	add(37, t.RRN, "")
	add(38, t.AuthCode, "")
	add(39, t.ResponseCode, responseText(t.ResponseCode))
	add(41, t.TerminalID, "")
	add(42, t.MerchantID, "")
	add(49, t.Currency, "")
	if len(t.PINBlock) > 0 {
		add(52, PINWithheld, "")
	}
	if len(t.ICC) > 0 {
		fields, masked, err := DecodeTLV(t.ICC)
		f := HostField{ID: 55, Name: FieldName(55), Value: hex.EncodeToString(masked), TLV: fields}
		if err != nil {
			f.Note = "not BER-TLV: " + err.Error()
		}
		out = append(out, f)
	}
	add(90, t.Original, "")
	return out
}

// FieldName is the name of an ISO 8583 field in the poshil dialect.
func FieldName(id int) string {
	if f, ok := acquirer.Spec.Fields[id]; ok {
		return f.Spec().Description
	}
	return fmt.Sprintf("field %d", id)
}

// mtiMeaning reads an MTI of ISO 8583:1987.
func mtiMeaning(mti string) string {
	if len(mti) != 4 {
		return ""
	}
	class := map[byte]string{'1': "authorisation", '2': "financial", '4': "reversal", '8': "network management"}[mti[1]]
	if class == "" {
		class = "class " + mti[1:2]
	}
	kind := map[byte]string{'0': "request", '1': "response", '2': "advice", '3': "advice response"}[mti[2]]
	if kind == "" {
		kind = "function " + mti[2:3]
	}
	if mti[3] == '1' {
		kind += " (repeat)"
	}
	return class + " " + kind
}

// responseText reads an ISO 8583 response code through the canonical
// outcome it maps to.
func responseText(rc string) string {
	if rc == "" {
		return ""
	}
	switch rc {
	case "00":
		return "approved"
	case "30":
		return "format error"
	case "12":
		return "invalid transaction"
	case "94":
		return "duplicate transmission"
	}
	c := outcome.FromHostResponse(rc)
	if c == outcome.Declined && rc != "05" {
		return "declined (unmapped code)"
	}
	return string(c)
}

func entryModeText(m string) string {
	switch m {
	case "051":
		return "chip"
	case "901":
		return "magstripe"
	case "801":
		return "fallback to magstripe"
	case "071":
		return "contactless chip"
	}
	return ""
}
