// Package emupin gives a DUT on the emulated bench its supply through
// periph.io, as firmware on a board reads it: an analog.PinADC on the
// supply rail (ADC) and a gpio.PinIn power-good line (PowerGood). Both read
// the state file that drivers/power/emulated publishes (format:
// emulated.ParseState), so the DUT - the reference terminal, a separate
// process - needs only the file's path:
//
//	adc, err := emupin.NewADC(path, nil)                  // "SUPPLY_ADC"
//	pg, err := emupin.NewPowerGood(path, &emupin.PowerGoodOpts{Threshold: 3600 * physic.MilliVolt})
//	defer pg.Close()
//	s, err := adc.Read()                                  // s.V: rail voltage, s.Raw: millivolts
//	err = pg.In(gpio.PullNoChange, gpio.FallingEdge)
//	if pg.WaitForEdge(time.Second) && pg.Read() == gpio.Low { /* power failing */ }
//
// PowerGood is a full gpio.PinIO (Out fails), so it can be registered with
// gpioreg.Register and found by name like a board's pin.
//
// It is not for real hardware: on a real board use the host's periph.io
// drivers (host/v3) for the same interfaces.
package emupin
