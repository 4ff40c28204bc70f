package runner

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/poshil/poshil/fixtures/emvcard"
	"github.com/poshil/poshil/harness/evidence"
	"github.com/poshil/poshil/harness/outcome"
	"github.com/poshil/poshil/harness/verdict"
)

// insertBound bounds the reader's confirmation of an insertion (vpcd
// polls presence every 400 ms; pcscd then powers the card up).
const insertBound = 5 * time.Second

// insert plugs the scenario's card into the bench's card emulator and
// waits until the reader reports it: a card the reader does not report
// (or reports with another card's ATR) is the bench's fault, not the
// terminal's.
func (ru *run) insert(ctx context.Context) error {
	if ru.slot != nil {
		return fmt.Errorf("a card is already inserted")
	}
	slot := ru.rig.parts.Slot
	if slot == nil {
		return verdict.Bench("card emulator", fmt.Errorf("this bench has no card emulator"))
	}
	// A card swapped within one presence poll is not seen as a new card:
	// the reader must report the slot empty first.
	if err := ru.waitEmpty(ctx, "before the insertion"); err != nil {
		return err
	}
	card, err := emvcard.New(ru.profile)
	if err != nil {
		return fmt.Errorf("card %s: %w", ru.sc.Card.Name, err)
	}
	base := card.ATR() // before any fault's hook
	ru.target.card.install(card)
	in, err := slot.Insert(ctx, evidence.Tap(card, ru.apdus))
	if err != nil {
		return verdict.Bench("card emulator "+ru.rig.Bench.Card.Emulator, err)
	}
	ru.slot = in
	ru.rec.add("card", fmt.Sprintf("inserted %s (%s) into %s", ru.sc.Card.Name, ru.profile.MaskedPAN(), ru.rig.Bench.Card.Reader))
	return ru.confirmInsert(ctx, card, base, in)
}

// waitEmpty waits (bounded) until the reader reports no card.
func (ru *run) waitEmpty(ctx context.Context, when string) error {
	wctx, cancel := context.WithTimeout(ctx, emptyBound)
	defer cancel()
	defer ru.waits.since(waitCard, time.Now())
	if err := ru.rig.parts.Reader.WaitEmpty(wctx); err != nil {
		return verdict.Bench("card reader "+ru.rig.Bench.Card.Reader, fmt.Errorf("the reader still reports a card %s: %w", when, err))
	}
	return nil
}

// confirmInsert waits until the reader reports the card just inserted,
// with our card's ATR as the profile and the active faults present it. A
// fault that spoils the ATR (mute_card, bad_atr) leaves presence to
// confirm. A card that left the slot after the reader took it (a fault
// pulled it) was seen.
func (ru *run) confirmInsert(ctx context.Context, card *emvcard.Card, base []byte, in InsertedCard) error {
	cctx, cancel := context.WithTimeout(ctx, insertBound)
	defer cancel()
	defer ru.waits.since(waitCard, time.Now())
	type seen struct {
		atr []byte
		err error
	}
	ch := make(chan seen, 1)
	go func() {
		atr, err := ru.rig.parts.Reader.WaitCard(cctx)
		ch <- seen{atr, err}
	}()
	part := "card reader " + ru.rig.Bench.Card.Reader
	select {
	case s := <-ch:
		if s.err != nil {
			return verdict.Bench(part, fmt.Errorf("the reader did not report our card within %v: %w", insertBound, s.err))
		}
		return ru.checkATR(card.ATR(), base, s.atr)
	case <-in.Done():
		cancel()
		<-ch
		select {
		case <-in.Attached():
			ru.rec.add("card", "left the slot before the reader's confirmation (it had taken it)")
			return nil
		default:
		}
		return verdict.Bench("card emulator "+ru.rig.Bench.Card.Emulator, fmt.Errorf("the card left the slot before the reader took it: %v", in.Err()))
	}
}

// checkATR compares the ATR the reader reports with our card's, as the
// faults present it (want) or as the profile has it (base).
func (ru *run) checkATR(want, base, got []byte) error {
	if !bytes.Equal(want, base) {
		ru.atrAltered = true
	}
	if _, err := emvcard.CheckEMVATR(want); err != nil {
		ru.rec.add("card", "reader reports a card (its ATR is spoilt on purpose: presence confirmed)")
		return nil
	}
	if bytes.Equal(got, want) || bytes.Equal(got, base) {
		ru.rec.add("card", fmt.Sprintf("reader reports our card (ATR %X)", got))
		return nil
	}
	return verdict.Bench("card reader "+ru.rig.Bench.Card.Reader,
		fmt.Errorf("the reader reports a card with ATR %X, ours is %X: another card in this reader?", got, want))
}

// removeCard takes the card out of the emulator slot, if one is in.
func (ru *run) removeCard() error {
	if ru.slot == nil {
		return nil
	}
	removeAt := time.Now()
	err := ru.slot.Remove()
	ru.waits.since(waitCard, removeAt)
	ru.slot = nil
	ru.rec.add("card", "removed")
	if err != nil {
		return verdict.Bench("card emulator", err)
	}
	return nil
}

// recoverSlot, in the safe state, takes the card out and waits until the
// reader reports the slot empty, so the next scenario's card is seen as a
// new one (pcscd notices a removal only at its next presence poll).
func (ru *run) recoverSlot(ctx context.Context) {
	defer ru.waits.since(waitCard, time.Now())
	if ru.slot != nil {
		if err := ru.slot.Remove(); err != nil {
			ru.rec.add("poshil", "safe state: card removal: "+err.Error())
		}
		ru.slot = nil
	}
	if err := ru.rig.parts.Reader.WaitEmpty(ctx); err != nil {
		ru.rec.add("poshil", "safe state: reader still reports a card: "+err.Error())
	}
}

// cardOutcomes are outcomes a terminal reaches only by talking to a card.
var cardOutcomes = []outcome.Code{outcome.ChipError, outcome.CardRemoved, outcome.CardNotSupported,
	outcome.CardBlocked, outcome.ExpiredCard, outcome.CardReadError}

// cardOutcomeUnseen is a bench error when the terminal reported a card
// outcome while our card received no command: it read another card (a
// second reader, another process's card). A fault that spoils the ATR
// makes no command the expected behaviour.
func (ru *run) cardOutcomeUnseen(code string) error {
	if ru.rig.parts.Slot == nil || ru.atrAltered || !slices.Contains(cardOutcomes, outcome.Code(code)) {
		return nil
	}
	if len(ru.apdus.Entries()) > 0 {
		return nil
	}
	return verdict.Bench("card reader "+ru.rig.Bench.Card.Reader,
		fmt.Errorf("the terminal reported %s but our card received no command: another reader or process?", code))
}
