// Package evidence turns the raw traffic of a scenario into readable,
// masked evidence: decoded APDUs (command names, status word meanings,
// BER-TLV with EMV tag names), ISO 8583 messages from the emulated host's
// journal, a timeline of what happened when (ECR, card, host, faults,
// power) and measurements with limits.
//
// Masking happens here, before anything is stored, by the rules of
// package secrets: PANs keep their first 6 and last 4 digits, track 2
// keeps the masked PAN and the expiry only, PIN blocks (VERIFY data, ISO
// 8583 field 52, tag 99), the cardholder name and track discretionary data
// never appear; AIDs and APDU headers are shown in full. Whatever leaves this package is safe to write to a
// report, a pcapng file or a CI log.
//
// It is not a report format (package report, package pcapng) and does not
// decide verdicts (package verdict, package runner).
package evidence
