package fault

import "context"

// Dropper is implemented by faults that hold something back (a stall's
// held authorisation, delayed bytes): Drop ends the fault and discards
// what it holds, where Clear ends it and releases what it holds.
//
// The schedule releases when a fault ends in the scenario's own course
// (its for: expires, a clear step) and drops at the scenario's end or on
// abort (ClearAll): what a fault held then is never delivered after the
// scenario, where it would reach a host or a terminal nobody watches.
// A fault that holds nothing needs no Drop: ClearAll calls its Clear.
// Like Clear, Drop must be idempotent, safe when Inject failed or never
// ran, and honour ctx.
type Dropper interface {
	Drop(ctx context.Context, t Target) error
}
