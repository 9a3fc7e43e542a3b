//go:build race

package patches_test

// underRace: tests of sizes and limits on multi-MiB configs skip under the race detector, which
// makes them minutes long; they run in the default test run.
const underRace = true
