package parallel_test

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/internal/parallel"
)

func TestForEach(t *testing.T) {
	t.Parallel()

	for _, n := range []int{0, 1, 2, 7, 1000} {
		seen := make([]atomic.Int32, n)
		parallel.ForEach(n, func(i int) { seen[i].Add(1) })

		for i := range seen {
			require.EqualValues(t, 1, seen[i].Load(), "n=%d i=%d", n, i)
		}
	}
}
