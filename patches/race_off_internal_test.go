//go:build !race

package patches

const raceEnabled = false
