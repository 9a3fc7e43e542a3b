//go:build unix

package cputime

import (
	"crypto/sha256"
	"testing"
)

func TestNowAdvances(t *testing.T) {
	t.Parallel()

	before := Now()
	if before <= 0 {
		t.Fatalf("cpu time %v, want > 0", before)
	}
	sum := sha256.Sum256(nil)
	for range 200000 {
		sum = sha256.Sum256(sum[:])
	}
	if after := Now(); after <= before {
		t.Fatalf("cpu time did not advance: %v -> %v", before, after)
	}
}
