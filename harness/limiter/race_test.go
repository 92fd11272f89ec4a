//go:build race

package limiter

// raceEnabled reports whether the race detector is on.
const raceEnabled = true
