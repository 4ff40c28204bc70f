package pcsc

import (
	"errors"
	"fmt"
	"time"

	"github.com/ebfe/scard"
)

// Errors of this implementation beyond the contract's; test with errors.Is.
var (
	// ErrCardReset: another session reset the card; the session's card
	// state (selected application, verified PIN) is gone.
	ErrCardReset = errors.New("pcsc: card was reset by another session")
	// ErrBadCommand: the C-APDU cannot be sent (empty).
	ErrBadCommand = errors.New("pcsc: invalid C-APDU")
	// ErrClosed: the client or session is already closed.
	ErrClosed = errors.New("pcsc: closed")
	// ErrIO: any other PC/SC failure; the message keeps the PC/SC text.
	ErrIO = errors.New("pcsc: reader I/O failed")
)

// service names the PC/SC service in errors not about one reader.
const service = "pcscd"

// mapError turns a PC/SC error into one of the package's sentinels,
// wrapped with the reader (or service) name. seen says whether the reader
// was known before, turning "unknown reader" into ErrReaderGone.
func mapError(name string, err error, seen bool) error {
	if err == nil {
		return nil
	}
	var code scard.Error
	if !errors.As(err, &code) {
		return fmt.Errorf("%s: %w", name, err)
	}
	var s error
	switch code {
	case scard.ErrNoService, scard.ErrServiceStopped, scard.ErrCommError:
		// pcsc-lite reports a broken socket to pcscd (pcscd stopped
		// while a call waited) as SCARD_F_COMM_ERROR.
		s = ErrNoService
	case scard.ErrNoReadersAvailable, scard.ErrUnknownReader:
		s = ErrNoReader
		if seen {
			s = ErrReaderGone
		}
	case scard.ErrReaderUnavailable:
		s = ErrReaderGone
	case scard.ErrNoSmartcard:
		s = ErrNoCard
	case scard.ErrRemovedCard:
		s = ErrRemoved
	case scard.ErrUnresponsiveCard:
		s = ErrUnresponsive
	case scard.ErrUnpoweredCard:
		s = ErrUnpowered
	case scard.ErrProtoMismatch:
		s = ErrProtocol
	case scard.ErrResetCard:
		s = ErrCardReset
	case scard.ErrInvalidHandle:
		s = ErrClosed
	default:
		return fmt.Errorf("%s: %w: %v", name, ErrIO, code)
	}
	return fmt.Errorf("%s: %w", name, s)
}

// toError is mapError, except that an error that maps to nothing known
// (ErrIO) is checked against the service: if pcscd is gone, it is
// ErrNoService. A dying pcscd makes pcsc-lite report odd codes (seen:
// SCARD_W_SECURITY_VIOLATION from SCardListReaders).
func toError(name string, err error, seen bool) error {
	m := mapError(name, err, seen)
	if m == nil || !errors.Is(m, ErrIO) {
		return m
	}
	// A pcscd being killed can still take a connection for a moment:
	// ask a few times, briefly, before calling the service alive.
	for i := range serviceProbes {
		sc, eerr := scard.EstablishContext()
		if eerr != nil {
			return fmt.Errorf("%s: %w (%v; a new context: %v)", name, ErrNoService, err, eerr)
		}
		_ = sc.Release()
		if i < serviceProbes-1 {
			time.Sleep(serviceProbeGap)
		}
	}
	return m
}

// serviceProbes and serviceProbeGap bound how toError asks pcscd whether
// it still serves (at most 100 ms, on an odd error only).
const (
	serviceProbes   = 3
	serviceProbeGap = 50 * time.Millisecond
)
