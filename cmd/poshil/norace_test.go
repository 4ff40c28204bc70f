//go:build !race

package main

// raceFactor stretches time limits under the race detector.
const raceFactor = 1
