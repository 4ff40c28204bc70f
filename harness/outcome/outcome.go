// Package outcome holds the canonical outcome codes a terminal reports
// (the field's failures, one code each). A firmware profile maps a DUT's own codes onto these; the
// reference terminal speaks them natively.
package outcome

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Code is a canonical outcome.
type Code string

// Canonical outcomes.
const (
	Approved           Code = "APPROVED"
	Declined           Code = "DECLINED"
	CardReadError      Code = "CARD_READ_ERROR"
	UseChip            Code = "USE_CHIP"
	ChipError          Code = "CHIP_ERROR"
	CardRemoved        Code = "CARD_REMOVED"
	CardBlocked        Code = "CARD_BLOCKED"
	CardNotSupported   Code = "CARD_NOT_SUPPORTED"
	ExpiredCard        Code = "EXPIRED_CARD"
	IncorrectPIN       Code = "INCORRECT_PIN"
	PINTriesExceeded   Code = "PIN_TRIES_EXCEEDED"
	Timeout            Code = "TIMEOUT"
	Cancelled          Code = "CANCELLED"
	LowPower           Code = "LOW_POWER"
	PowerFailRecovered Code = "POWER_FAIL_RECOVERED"
	CommsError         Code = "COMMS_ERROR"
	HostUnreachable    Code = "HOST_UNREACHABLE"
	HostTimeout        Code = "HOST_TIMEOUT"
	InsufficientFunds  Code = "INSUFFICIENT_FUNDS"
	ExceedsLimit       Code = "EXCEEDS_LIMIT"
	InvalidCard        Code = "INVALID_CARD"
	SuspectedFraud     Code = "SUSPECTED_FRAUD"
	IssuerUnavailable  Code = "ISSUER_UNAVAILABLE"
	SystemError        Code = "SYSTEM_ERROR"
	NotSupported       Code = "NOT_SUPPORTED"
	PrinterError       Code = "PRINTER_ERROR"

	// Bank refusals the issuer gives for the account, not the card's data.
	RestrictedCard Code = "RESTRICTED_CARD" // 62: restricted or frozen account
	NotPermitted   Code = "NOT_PERMITTED"   // 57, 58: transaction not permitted to the cardholder or terminal
	CallIssuer     Code = "CALL_ISSUER"     // 01, 02: refer to the card issuer (a call for authorisation)

	// Terminal keys and MAC.
	NotSignedOn   Code = "NOT_SIGNED_ON"  // no working keys: the sign-on was refused or its keys failed their checks; the terminal does not trade
	SecurityError Code = "SECURITY_ERROR" // 63, or a host response whose MAC failed: never trusted, an authorisation is reversed
	// The terminal's own state stops it trading.
	ClockError   Code = "CLOCK_ERROR"   // its clock is one it knows is invalid (before its build date)
	JournalError Code = "JOURNAL_ERROR" // its journal cannot be written: it could not guarantee a reversal
)

// All lists every canonical code, for validation and documentation.
var All = []Code{
	Approved, Declined, CardReadError, UseChip, ChipError, CardRemoved,
	CardBlocked, CardNotSupported, ExpiredCard, IncorrectPIN, PINTriesExceeded,
	Timeout, Cancelled, LowPower, PowerFailRecovered, CommsError,
	HostUnreachable, HostTimeout, InsufficientFunds, ExceedsLimit, InvalidCard,
	SuspectedFraud, IssuerUnavailable, SystemError, NotSupported, PrinterError,
	RestrictedCard, NotPermitted, CallIssuer,
	NotSignedOn, SecurityError,
	ClockError, JournalError,
}

// Valid reports whether c is a canonical code.
func (c Code) Valid() bool { return slices.Contains(All, c) }

// FromHostResponse maps an ISO 8583 response code (field 39) onto the
// canonical outcome a terminal must report for it.
func FromHostResponse(rc string) Code {
	switch rc {
	case "00", "08", "10", "11":
		return Approved
	case "51":
		return InsufficientFunds
	case "55":
		return IncorrectPIN
	case "75":
		return PINTriesExceeded
	case "54":
		return ExpiredCard
	case "61", "65":
		return ExceedsLimit
	case "62":
		return RestrictedCard
	case "57", "58":
		return NotPermitted
	case "01", "02":
		return CallIssuer
	case "14":
		return InvalidCard
	case "59":
		return SuspectedFraud
	case "91":
		return IssuerUnavailable
	case "96":
		return SystemError
	case "63":
		return SecurityError
	default:
		return Declined
	}
}

// UnmarshalYAML accepts only canonical codes, so a scenario naming an unknown
// outcome is rejected where it is written.
func (c *Code) UnmarshalYAML(n *yaml.Node) error {
	v := Code(strings.ToUpper(strings.TrimSpace(n.Value)))
	if n.Kind != yaml.ScalarNode || !v.Valid() {
		names := make([]string, len(All))
		for i, a := range All {
			names[i] = string(a)
		}
		return fmt.Errorf("unknown outcome %q (want one of %s)", n.Value, strings.Join(names, ", "))
	}
	*c = v
	return nil
}
