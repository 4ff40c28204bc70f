// Package scpisim is an emulated SCPI bench supply: it answers the
// commands package scpi sends (and their long forms) on a serial Port,
// e.g. the master side of a pseudo-terminal pair whose slave a scpi.Supply
// opens like a real instrument. It keeps an error queue as instruments
// do, so refused commands surface through SYST:ERR?.
//
// It is not a full SCPI parser: one channel, voltage only; compound
// messages split on ';' with every header taken from the root.
package scpisim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"periph.io/x/conn/v3/physic"

	"github.com/poshil/poshil/drivers/serial"
)

// Opts configures an instrument; the zero value is usable.
type Opts struct {
	// IDN is the *IDN? reply; default "POSHIL,SCPISIM,0,1.0".
	IDN string
	// Nominal is the set point at start and after *RST; default 4.2V.
	Nominal physic.ElectricPotential
	// Max is the highest accepted set point; default 30V.
	Max physic.ElectricPotential
}

// Instrument is the emulated supply. It is safe for concurrent use.
type Instrument struct {
	idn          string
	nominal, max physic.ElectricPotential

	mu      sync.Mutex
	output  bool
	voltage physic.ElectricPotential
	queue   []entry
	mute    bool
	log     []string
}

type entry struct {
	code int
	msg  string
}

// maxQueue is the error queue's depth; the last slot then holds -350.
const maxQueue = 16

// maxLine bounds one command line; longer lines are discarded with -102.
const maxLine = 256

// New returns an instrument with the output off at the nominal voltage,
// as a supply is after power-up.
func New(o *Opts) *Instrument {
	var opt Opts
	if o != nil {
		opt = *o
	}
	if opt.IDN == "" {
		opt.IDN = "POSHIL,SCPISIM,0,1.0"
	}
	if opt.Nominal == 0 {
		opt.Nominal = 4200 * physic.MilliVolt
	}
	if opt.Max == 0 {
		opt.Max = 30 * physic.Volt
	}
	return &Instrument{idn: opt.IDN, nominal: opt.Nominal, max: opt.Max, voltage: opt.Nominal}
}

// State is the output switch and the set point.
func (in *Instrument) State() (output bool, v physic.ElectricPotential) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.output, in.voltage
}

// Mute makes the instrument read and obey commands but send no replies
// (a hung or disconnected instrument, for timeout tests).
func (in *Instrument) Mute(on bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.mute = on
}

// Log is every command line received so far, in order.
func (in *Instrument) Log() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.log...)
}

// Serve answers commands on p until ctx ends (it returns ctx's error) or
// p fails or closes (it returns that error).
func (in *Instrument) Serve(ctx context.Context, p serial.Port) error {
	var buf []byte
	var b [256]byte
	overlong := false
	for {
		n, err := p.Read(ctx, b[:])
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		buf = append(buf, b[:n]...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			line := string(bytes.TrimSuffix(buf[:i], []byte("\r")))
			buf = buf[i+1:]
			if overlong {
				overlong = false
				continue
			}
			reply, ok := in.Handle(line)
			in.mu.Lock()
			mute := in.mute
			in.mu.Unlock()
			if ok && !mute {
				if _, err := p.Write(ctx, []byte(reply+"\n")); err != nil {
					return err
				}
			}
		}
		if len(buf) > maxLine {
			buf, overlong = buf[:0], true
			in.mu.Lock()
			in.push(-102, "Syntax error; line too long")
			in.mu.Unlock()
		}
	}
}

// Handle executes one program message (commands separated by ';') and
// returns the reply, if any query produced one (replies joined by ';').
func (in *Instrument) Handle(line string) (reply string, ok bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.log = append(in.log, line)
	var replies []string
	for _, cmd := range strings.Split(line, ";") {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" {
			continue
		}
		r, isQuery, err := in.execute(cmd)
		if err != nil {
			var e *scpiErr
			if errors.As(err, &e) {
				in.push(e.code, e.msg)
			}
			continue
		}
		if isQuery {
			replies = append(replies, r)
		}
	}
	if len(replies) == 0 {
		return "", false
	}
	return strings.Join(replies, ";"), true
}

// push queues an error (in.mu held).
func (in *Instrument) push(code int, msg string) {
	switch {
	case len(in.queue) < maxQueue-1:
		in.queue = append(in.queue, entry{code, msg})
	case len(in.queue) == maxQueue-1:
		in.queue = append(in.queue, entry{-350, "Queue overflow"})
	}
}

// scpiErr is an error that goes to the queue.
type scpiErr struct {
	code int
	msg  string
}

func (e *scpiErr) Error() string { return fmt.Sprintf("%d,%q", e.code, e.msg) }

func fail(code int, msg string) error { return &scpiErr{code, msg} }
