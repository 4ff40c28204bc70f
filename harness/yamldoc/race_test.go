//go:build race

package yamldoc

// raceFactor stretches time limits under the race detector, which slows
// everything about tenfold.
const raceFactor = 10
