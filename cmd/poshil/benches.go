package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/poshil/poshil/harness/isolated"
	"github.com/poshil/poshil/harness/lease"
	"github.com/poshil/poshil/harness/runner"
	"github.com/poshil/poshil/harness/verdict"
)

func init() {
	register(legacy("benches", "Show each bench of an inventory: free, busy (by whom, since), dirty or unhealthy", benchesCmd))
}

// benchState is one bench as `poshil benches` shows it.
type benchState struct {
	Bench string `json:"bench"`
	// State is free, busy (a live run holds it), dirty (free, but a
	// run that held it died without releasing it: the next run restores
	// its safe state first) or unhealthy (free, but a part is missing:
	// Reason says which).
	State  string        `json:"state"`
	Reason string        `json:"reason,omitempty"`
	Holder *lease.Holder `json:"holder,omitempty"`
	// Keys are the bench's resources whose state is not free.
	Keys []string `json:"keys,omitempty"`
}

// benchesCmd shows each bench of an inventory: free, busy (by whom,
// since when, last heartbeat), dirty (left by a dead run) or unhealthy
// (with the reason: see runner.Health). It reads the leases without
// taking any.
func benchesCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("poshil benches", flag.ContinueOnError)
	fs.SetOutput(stderr)
	invFile := fs.String("inventory", "-", "inventory file (- for the embedded one)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return verdict.ExitInvalid
	}
	inv, err := loadInventory(*invFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []benchState
	if (*invFile == "-" || *invFile == "default") && isolatedSupported() == nil {
		// The embedded inventory runs on isolated benches here (run
		// --parallel, run --inventory -): each is a bench of its own.
		for k := range inv.Benches {
			keys, err := isolated.Keys(ctx, k+1)
			if err == nil {
				var states []lease.State
				if states, err = lease.Probe(keys...); err == nil {
					out = append(out, summarize(inv.Benches[k].Name, states))
					continue
				}
			}
			fmt.Fprintf(stderr, "poshil: bench %s: %v\n", inv.Benches[k].Name, err)
			return verdict.ExitBenchError
		}
		return printBenches(out, *asJSON, stdout, stderr)
	}
	for _, b := range inv.Benches {
		keys, err := runner.BenchKeys(ctx, b.Desc)
		if err != nil {
			fmt.Fprintf(stderr, "poshil: bench %s: %v\n", b.Name, err)
			return verdict.ExitBenchError
		}
		states, err := lease.Probe(keys...)
		if err != nil {
			fmt.Fprintf(stderr, "poshil: bench %s: %v\n", b.Name, err)
			return verdict.ExitBenchError
		}
		st := summarize(b.Name, states)
		if st.State != "busy" {
			// A busy bench's run watches its parts itself.
			if err := runner.Health(ctx, b.Desc); err != nil {
				st.State, st.Reason = "unhealthy", err.Error()
			}
		}
		out = append(out, st)
	}
	return printBenches(out, *asJSON, stdout, stderr)
}

// printBenches prints the benches' states as a table or as JSON.
func printBenches(out []benchState, asJSON bool, stdout, stderr io.Writer) int {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, err)
			return verdict.ExitBenchError
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCH\tSTATE\tSINCE\tHOLDER / REASON")
	now := time.Now()
	for _, s := range out {
		since, who := "", ""
		if h := s.Holder; h != nil && s.State != "unhealthy" {
			since = h.Since.Format(time.RFC3339)
			who = fmt.Sprintf("run %s, pid %d on %s", orDash(h.RunID), h.PID, orDash(h.Host))
			if !h.Heartbeat.IsZero() {
				who += fmt.Sprintf(", heartbeat %s ago", now.Sub(h.Heartbeat).Round(time.Second))
			}
			if s.State == "dirty" {
				who = "left by " + who + " (ended without releasing: the next run restores its safe state)"
			} else if h.Command != "" {
				who += ": " + h.Command
			}
		}
		if s.Reason != "" {
			who = s.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Bench, s.State, orDash(since), who)
	}
	tw.Flush()
	return 0
}

// summarize reduces a bench's key states: busy if any key is held, else
// dirty if any was left by a dead run, else free.
func summarize(name string, states []lease.State) benchState {
	s := benchState{Bench: name, State: "free"}
	for _, st := range states {
		switch {
		case st.Busy:
			if s.State != "busy" {
				s.State, s.Holder = "busy", st.Holder
			}
			s.Keys = append(s.Keys, "busy "+st.Key.String())
		case st.Left:
			if s.State == "free" {
				s.State, s.Holder = "dirty", st.Holder
			}
			s.Keys = append(s.Keys, "dirty "+st.Key.String())
		}
	}
	return s
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
