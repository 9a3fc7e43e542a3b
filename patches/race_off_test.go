//go:build !race

package patches_test

const underRace = false
