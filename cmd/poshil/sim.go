package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/verdict"
)

func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "card" {
		fmt.Fprintln(stderr, "usage: poshil sim card --profile NAME|FILE [--slot N] [--vpcd HOST]")
		return verdict.ExitInvalid
	}
	fs := flag.NewFlagSet("poshil sim card", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "visa-credit", "card profile: a shelf name (poshil cards) or a YAML file")
	slot := fs.Int("slot", 0, "vpcd slot (reader \"Virtual PCD 00 0N\", TCP port 35963+N)")
	host := fs.String("vpcd", "127.0.0.1", "host where pcscd's vpcd listens")
	if err := fs.Parse(args[1:]); err != nil {
		return verdict.ExitInvalid
	}
	p, err := loadProfile(*profile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	card, err := emvcard.New(p)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *profile, err)
		return verdict.ExitInvalid
	}
	addr := vpcd.SlotAddr(*host, *slot)
	s, err := vpcd.Insert(ctx, addr, card)
	if err != nil {
		fmt.Fprintf(stderr, "poshil: BENCH_ERROR: vpcd slot %d at %s: %v (is pcscd running? make deps)\n", *slot, addr, err)
		return verdict.ExitBenchError
	}
	fmt.Fprintf(stdout, "card %s (%s) inserted in vpcd slot %d (%s); ATR %X\nCtrl-C to remove it\n", p.Name, p.MaskedPAN(), *slot, addr, card.ATR())
	select {
	case <-ctx.Done():
	case <-s.Done():
		fmt.Fprintf(stderr, "poshil: vpcd closed the slot: %v\n", s.Err())
		return verdict.ExitBenchError
	}
	if err := s.Remove(); err != nil {
		fmt.Fprintf(stderr, "poshil: removing card: %v\n", err)
	}
	fmt.Fprintln(stdout, "card removed")
	return 0
}

// loadProfile takes a shelf name or a file path.
func loadProfile(name string) (*emvcard.Profile, error) {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") || strings.ContainsRune(name, os.PathSeparator) {
		return cards.Load(name)
	}
	return cards.Lookup(name)
}

func cmdCards(stdout io.Writer) int {
	for _, n := range cards.Names() {
		p, err := cards.Lookup(n)
		if err != nil {
			fmt.Fprintf(stdout, "%-16s (broken: %v)\n", n, err)
			continue
		}
		fmt.Fprintf(stdout, "%-16s %s\n", n, p.MaskedPAN())
	}
	return 0
}
