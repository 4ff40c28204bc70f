package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poshil/poshil/drivers/vpcd"
	"github.com/poshil/poshil/fixtures/cards"
	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/verdict"
)

func init() {
	register(newSimCmd)
	register(newCardsCmd)
}

func newSimCmd(a *app) *cobra.Command {
	sim := &cobra.Command{
		Use:   "sim",
		Short: "Simulate bench parts for any PC/SC tool",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError(cmd, fmt.Errorf("which part? (card)"))
		},
	}
	var profile, host string
	var slot int
	card := &cobra.Command{
		Use:   "card [flags]",
		Short: "Keep a simulated EMV card in a vpcd slot until Ctrl-C",
		Long: `Keep a simulated EMV card in a vpcd slot, so pcscd shows it in reader
"Virtual PCD 00 0N" to any PC/SC tool (opensc-tool, pcsc_scan), until Ctrl-C.`,
		Example: "  poshil sim card --profile visa-credit --slot 1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if slot < 0 || slot > maxSlot {
				return rangeError("slot", slot, fmt.Sprintf("0 to %d", maxSlot))
			}
			return a.exit(cmdSim(a.ctx, profile, slot, host, a.stdout, a.stderr))
		},
	}
	card.Flags().StringVar(&profile, "profile", "visa-credit", "card profile: a shelf name (poshil cards) or a YAML file")
	card.Flags().IntVar(&slot, "slot", 0, "vpcd slot N (reader \"Virtual PCD 00 0N\", TCP port 35963+N)")
	card.Flags().StringVar(&host, "vpcd", "127.0.0.1", "host where pcscd's vpcd listens")
	_ = card.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return cards.Names(), cobra.ShellCompDirectiveDefault
	})
	sim.AddCommand(card)
	return sim
}

// maxSlot is the last slot whose TCP port (vpcd.BasePort+N) exists.
const maxSlot = 65535 - vpcd.BasePort

func newCardsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "cards",
		Short: "List the shelf's card profiles (PANs masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.exit(cmdCards(a.stdout))
		},
	}
}

// cmdSim keeps a card of profile in vpcd slot at host until ctx ends.
func cmdSim(ctx context.Context, profile string, slot int, host string, stdout, stderr io.Writer) int {
	p, err := loadProfile(profile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdict.ExitInvalid
	}
	card, err := emvcard.New(p)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", profile, err)
		return verdict.ExitInvalid
	}
	addr := vpcd.SlotAddr(host, slot)
	s, err := vpcd.Insert(ctx, addr, card)
	if err != nil {
		fmt.Fprintf(stderr, "poshil: BENCH_ERROR: vpcd slot %d at %s: %v (is pcscd running? make deps)\n", slot, addr, err)
		return verdict.ExitBenchError
	}
	fmt.Fprintf(stdout, "card %s (%s) inserted in vpcd slot %d (%s); ATR %X\nCtrl-C to remove it\n", p.Name, p.MaskedPAN(), slot, addr, card.ATR())
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
