package pcsc

import (
	"errors"
	"strings"
	"testing"

	"github.com/ebfe/scard"
)

func TestMapError(t *testing.T) {
	tests := []struct {
		in   error
		seen bool
		want error
	}{
		{scard.ErrNoService, false, ErrNoService},
		{scard.ErrServiceStopped, true, ErrNoService},
		{scard.ErrNoReadersAvailable, false, ErrNoReader},
		{scard.ErrUnknownReader, false, ErrNoReader},
		{scard.ErrUnknownReader, true, ErrReaderGone},
		{scard.ErrReaderUnavailable, true, ErrReaderGone},
		{scard.ErrNoSmartcard, true, ErrNoCard},
		{scard.ErrRemovedCard, true, ErrRemoved},
		{scard.ErrUnresponsiveCard, true, ErrUnresponsive},
		{scard.ErrUnpoweredCard, true, ErrUnpowered},
		{scard.ErrProtoMismatch, true, ErrProtocol},
		{scard.ErrResetCard, true, ErrCardReset},
		{scard.ErrInvalidHandle, true, ErrClosed},
		{scard.ErrCommError, true, ErrNoService},
		{scard.ErrSharingViolation, true, ErrIO},
		{scard.ErrNotTransacted, true, ErrIO},
	}
	for _, tc := range tests {
		got := mapError("Virtual PCD 00 01", tc.in, tc.seen)
		if !errors.Is(got, tc.want) {
			t.Errorf("%v (seen %v) -> %v, want %v", tc.in, tc.seen, got, tc.want)
		}
		if !strings.HasPrefix(got.Error(), "Virtual PCD 00 01: ") {
			t.Errorf("%v: error %q does not name the reader", tc.in, got)
		}
	}
	if mapError("r", nil, false) != nil {
		t.Error("nil error mapped to non-nil")
	}
}
