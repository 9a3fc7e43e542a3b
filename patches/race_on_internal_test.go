//go:build race

package patches

// raceEnabled: the race detector makes the differential tests 10x slower; they run fewer
// random sequences under it (the default run keeps them all).
const raceEnabled = true
