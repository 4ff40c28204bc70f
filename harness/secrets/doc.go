// Package secrets is poshil's one policy for card secrets in evidence.
//
// MaskPAN is the mask rule for a primary account number: 13 digits or more
// keep their first 6 and last 4, 8 to 12 digits their last 4 only, anything
// shorter is hidden whole. Every package that shows a PAN (the harness's
// evidence, the emulated acquirer, card and terminal fixtures) calls it.
//
// MaskText masks card data the harness did not put on the bench: track 1
// and track 2 text, and any Luhn-valid window of 13 to 19 digits (plain, or
// grouped with spaces or dashes as people and hex dumps print them) that
// does not sit inside a hex string. AIDs (A0000000031010), APDU headers
// (00A40400...), amounts, STANs, dates and times stay readable.
//
// A Scrubber knows the secrets of the cards a run put on the bench (Card:
// PAN, track data, cardholder name, the PIN the harness types and the PIN
// blocks made from it) and masks each of them wherever it appears in text,
// in every encoding a terminal may print it: digits, grouped with spaces,
// dashes or colons, hex bytes with or without separators in either case,
// BCD and track 2 equivalent data (PAN 'D' ...), and the ASCII characters
// as hex. Walk applies a Scrubber to every string of a record before it is
// written. Masking never changes the length of text or bytes.
//
// The package is a leaf: it imports only the standard library, so fixtures
// and harness packages alike can use it.
package secrets
