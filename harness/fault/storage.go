package fault

import (
	"context"
	"fmt"
)

func init() {
	Register("storage_full", "the DUT's storage is full: no file of the DUT process can grow (its file-size limit, RLIMIT_FSIZE, is 0 until cleared), so its journal cannot be written; the terminal must refuse to trade (JOURNAL_ERROR), as it could not guarantee a reversal",
		func() Fault { return &StorageFull{} })
}

// DUTStorage is a DUTSide whose DUT process can be denied storage. The
// runner's DUT side implements it.
type DUTStorage interface {
	// SetStorageFull makes the DUT's storage full (true) or as before
	// (false): the running DUT process and every one started meanwhile.
	SetStorageFull(ctx context.Context, full bool) error
}

// StorageFull fills the DUT's storage, for any process DUT and without
// privileges: the soft file-size limit (RLIMIT_FSIZE, set with prlimit(2))
// of the DUT process is 0, so a write that would grow a regular file fails
// (EFBIG; a program that does not ignore SIGXFSZ dies of it, as it would
// under that limit anywhere). Pipes and terminals are not files: the DUT
// still talks and prints. Clear gives the old limit back. In YAML:
//
//	faults:
//	  - storage_full:
type StorageFull struct{}

// Needs implements Needer.
func (f *StorageFull) Needs() []Part { return []Part{PartDUT} }

// Inject implements Fault.
func (f *StorageFull) Inject(ctx context.Context, t Target) error {
	s, ok := t.DUT().(DUTStorage)
	if t.DUT() == nil || !ok {
		return fmt.Errorf("%w: the bench cannot limit its DUT's storage", ErrUnsupported)
	}
	return s.SetStorageFull(ctx, true)
}

// Clear implements Fault.
func (f *StorageFull) Clear(ctx context.Context, t Target) error {
	s, ok := t.DUT().(DUTStorage)
	if t.DUT() == nil || !ok {
		return nil
	}
	return s.SetStorageFull(ctx, false)
}
