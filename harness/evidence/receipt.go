package evidence

import "time"

// Receipt is one receipt the bench's emulated printer printed, as text
// scrubbed of card data.
type Receipt struct {
	// At is when it ended, since the scenario started.
	At time.Duration `json:"at_ns"`
	// Text is its lines, joined by newlines.
	Text string `json:"text"`
	// Cut is false for a receipt an error stopped in the middle.
	Cut bool `json:"cut"`
}
