//go:build !race

package yamldoc

// raceFactor stretches time limits under the race detector.
const raceFactor = 1
