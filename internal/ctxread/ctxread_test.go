package ctxread

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFile(t *testing.T) {
	t.Parallel()

	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, []byte("0123456789"), 0o600))

	data, err := File(t.Context(), p, 10)
	require.NoError(t, err, "exactly the limit")
	require.Equal(t, "0123456789", string(data))

	_, err = File(t.Context(), p, 9)
	require.ErrorIs(t, err, ErrTooLarge)

	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))

	data, err = File(t.Context(), empty, 10)
	require.NoError(t, err)
	require.Empty(t, data)

	_, err = File(t.Context(), filepath.Join(t.TempDir(), "missing"), 10)
	require.ErrorIs(t, err, os.ErrNotExist)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err = File(ctx, p, 10)

	var stopped *StoppedError
	require.ErrorAs(t, err, &stopped)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, stopped.Pipe)
}
