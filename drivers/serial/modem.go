package serial

import (
	"errors"
	"syscall"
)

// ModemLines is an optional capability of a Port: the RS-232 control lines.
// Find it by type assertion, before a scenario needs it:
//
//	ml, ok := p.(serial.ModemLines)
//
// Ports from Open implement it; on a pseudo-terminal every call fails with
// ErrNotSupported (the kernel answers ENOTTY). PTY ports do not implement it.
// The calls are single ioctls and do not block.
type ModemLines interface {
	// SetDTR drives Data Terminal Ready.
	SetDTR(on bool) error
	// SetRTS drives Request To Send.
	SetRTS(on bool) error
	// Status reads the modem input lines.
	Status() (ModemStatus, error)
}

// ModemStatus is the state of the modem input lines.
type ModemStatus struct {
	CTS bool // Clear To Send
	DSR bool // Data Set Ready
	RI  bool // Ring Indicator
	DCD bool // Data Carrier Detect
}

var _ ModemLines = (*realPort)(nil)

// SetDTR implements ModemLines.
func (s *realPort) SetDTR(on bool) error {
	if s.closed.Load() {
		return closedErr(s.name, "set DTR")
	}
	return s.modemErr("set DTR", s.p.SetDTR(on))
}

// SetRTS implements ModemLines.
func (s *realPort) SetRTS(on bool) error {
	if s.closed.Load() {
		return closedErr(s.name, "set RTS")
	}
	return s.modemErr("set RTS", s.p.SetRTS(on))
}

// Status implements ModemLines.
func (s *realPort) Status() (ModemStatus, error) {
	if s.closed.Load() {
		return ModemStatus{}, closedErr(s.name, "modem status")
	}
	b, err := s.p.GetModemStatusBits()
	if err != nil {
		return ModemStatus{}, s.modemErr("modem status", err)
	}
	return ModemStatus{CTS: b.CTS, DSR: b.DSR, RI: b.RI, DCD: b.DCD}, nil
}

func isNotTTY(err error) bool {
	return errors.Is(err, syscall.ENOTTY) || errors.Is(err, syscall.EINVAL)
}
