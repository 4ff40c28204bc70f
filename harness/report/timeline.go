package report

import (
	"sort"
	"strings"
	"time"

	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/verdict"
)

// row is one line of a scenario's timeline in the report.
type row struct {
	At     time.Duration
	Source string
	Kind   string
	Text   string
	// Class colours the row: ok, warning, error (APDUs, host declines).
	Class string
	APDU  *evidence.APDUEntry
	Host  *evidence.HostEntry
}

// timeline merges a scenario's evidence into one time-ordered list:
// transcript lines (ECR, harness), card events, APDUs, host messages,
// faults. When the evidence has decoded host entries, transcript lines
// from the host are dropped (the runner wrote them there before entries
// existed) so nothing shows twice.
func timeline(ev *verdict.Evidence) []row {
	if ev == nil {
		return nil
	}
	var rows []row
	for _, l := range ev.Transcript {
		if l.Source == evidence.SourceHost && len(ev.Host) > 0 {
			continue
		}
		rows = append(rows, row{At: l.At, Source: l.Source, Kind: lineKind(l), Text: l.Text})
	}
	for _, e := range ev.Events {
		rows = append(rows, row{At: e.At, Source: e.Source, Kind: e.Kind, Text: e.Text})
	}
	for _, e := range ev.Faults {
		rows = append(rows, row{At: e.At, Source: e.Source, Kind: e.Kind, Text: e.Text, Class: faultClass(e.Kind)})
	}
	for i := range ev.APDUs {
		a := &ev.APDUs[i]
		rows = append(rows, row{At: a.At, Source: evidence.SourceCard, Kind: "apdu", Text: a.Summary(), Class: a.Class, APDU: a})
	}
	for i := range ev.Host {
		h := &ev.Host[i]
		text := h.Summary
		if h.Meaning != "" {
			text = h.Meaning + " · " + text
		}
		if h.Error != "" {
			text += " · error: " + h.Error
		}
		rows = append(rows, row{At: h.At, Source: evidence.SourceHost, Kind: h.Dir, Text: text, Class: hostClass(h), Host: h})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].At < rows[j].At })
	return rows
}

// lineKind names a transcript line's kind from its first word (the ECR
// message kind, "verdict", a step).
func lineKind(l verdict.Line) string {
	w, _, _ := strings.Cut(l.Text, " ")
	if len(w) > 24 {
		return ""
	}
	return strings.ToLower(w)
}

func faultClass(kind string) string {
	switch kind {
	case "injected":
		return evidence.ClassWarning
	case "failed", "error":
		return evidence.ClassError
	}
	return ""
}

func hostClass(h *evidence.HostEntry) string {
	if h.Error != "" {
		return evidence.ClassError
	}
	for _, f := range h.Fields {
		if f.ID == 39 {
			if f.Value == "00" {
				return evidence.ClassOK
			}
			return evidence.ClassWarning
		}
	}
	return ""
}
