package emupin

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3/analog"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"

	"github.com/poshil/poshil/drivers/power"
	"github.com/poshil/poshil/drivers/power/emulated"
)

// ErrInputOnly is returned by PowerGood.Out and PWM: the line is an input.
var ErrInputOnly = errors.New("emupin: pin is input only")

// ErrFunc is returned by SetFunc for a function the pin does not have.
var ErrFunc = errors.New("emupin: unsupported pin function")

// ADCOpts configures an ADC; the zero value is usable.
type ADCOpts struct {
	// Name is the pin's name; default "SUPPLY_ADC".
	Name string
	// FullScale is the highest voltage the ADC reads; a higher rail
	// reads as FullScale (the converter saturates). Default 30V.
	FullScale physic.ElectricPotential
}

// ADC is an analog.PinADC on the emulated supply's rail. Read returns the
// rail voltage (0V with the output off) in Sample.V and the same in whole
// millivolts in Sample.Raw.
type ADC struct {
	name, path string
	full       physic.ElectricPotential
}

var (
	_ analog.PinADC = (*ADC)(nil)
	_ pin.PinFunc   = (*ADC)(nil)
)

// NewADC opens the ADC on the state file at path. It reads the file once,
// so a DUT started without a supply fails here, naming the file.
func NewADC(path string, o *ADCOpts) (*ADC, error) {
	var opt ADCOpts
	if o != nil {
		opt = *o
	}
	if opt.Name == "" {
		opt.Name = "SUPPLY_ADC"
	}
	if opt.FullScale == 0 {
		opt.FullScale = 30 * physic.Volt
	}
	if opt.FullScale < physic.MilliVolt || opt.FullScale > emulated.MaxMillivolts*physic.MilliVolt {
		return nil, fmt.Errorf("emupin: %s: full scale %v: %w", opt.Name, opt.FullScale, power.ErrRange)
	}
	a := &ADC{name: opt.Name, path: path, full: opt.FullScale}
	if _, err := a.Read(); err != nil {
		return nil, err
	}
	return a, nil
}

// Read implements analog.PinADC: one sample of the rail, read from the
// state file now. Errors wrap emulated.ErrState and name the pin and file.
func (a *ADC) Read() (analog.Sample, error) {
	st, err := emulated.ReadState(a.path)
	if err != nil {
		return analog.Sample{}, fmt.Errorf("emupin: %s: %w", a.name, err)
	}
	v := min(st.Rail(), a.full)
	return analog.Sample{V: v, Raw: int32(v / physic.MilliVolt)}, nil
}

// Range implements analog.PinADC: 0V (raw 0) to FullScale (raw = full
// scale in millivolts).
func (a *ADC) Range() (analog.Sample, analog.Sample) {
	return analog.Sample{}, analog.Sample{V: a.full, Raw: int32(a.full / physic.MilliVolt)}
}

// String implements conn.Resource.
func (a *ADC) String() string { return a.name + "(" + a.path + ")" }

// Halt implements conn.Resource; an ADC has nothing to stop.
func (a *ADC) Halt() error { return nil }

// Name implements pin.Pin.
func (a *ADC) Name() string { return a.name }

// Number implements pin.Pin: -1, the pin is not a GPIO.
func (a *ADC) Number() int { return -1 }

// Function implements pin.Pin.
func (a *ADC) Function() string { return string(analog.ADC) }

// Func implements pin.PinFunc.
func (a *ADC) Func() pin.Func { return analog.ADC }

// SupportedFuncs implements pin.PinFunc.
func (a *ADC) SupportedFuncs() []pin.Func { return []pin.Func{analog.ADC} }

// SetFunc implements pin.PinFunc: only analog.ADC.
func (a *ADC) SetFunc(f pin.Func) error {
	if f != analog.ADC {
		return fmt.Errorf("emupin: %s: %w %q", a.name, ErrFunc, f)
	}
	return nil
}
