package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	t.Parallel()

	s := func(wall, cpu time.Duration, rss int64) sample { return sample{wall: wall, cpu: cpu, maxRSS: rss} }

	tests := []struct {
		name string
		in   []sample
		want result
	}{
		{"odd", []sample{s(3, 30, 300), s(1, 10, 100), s(2, 20, 200)}, result{2, 20, 200}},
		{"even", []sample{s(4, 40, 400), s(1, 10, 100), s(3, 30, 300), s(2, 20, 200)}, result{2, 25, 250}},
		{"each figure on its own", []sample{s(1, 30, 200), s(2, 10, 300), s(3, 20, 100)}, result{2, 20, 200}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, median(tt.in))
		})
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()

	s, err := measure([]string{"true"})
	require.NoError(t, err)
	require.Positive(t, s.wall)
	require.Positive(t, s.maxRSS)

	_, err = measure([]string{"false"})
	require.Error(t, err)
}
