package helmengine

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStoppedByACauseIsFinal: a render whose context the caller cancelled with a cause of its
// own (context.WithCancelCause) ends there; it does not start over in Helm's engine, which has
// no context.
func TestStoppedByACauseIsFinal(t *testing.T) {
	t.Parallel()

	mine := errors.New("the plan was cancelled")
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(mine)

	b := newBudget(ctx, Limits{})
	b.template = "demo/templates/x.yaml"

	err := b.stopped()

	var stopped *StoppedError
	require.ErrorAs(t, err, &stopped)
	require.Equal(t, "demo/templates/x.yaml", stopped.Template)
	require.ErrorIs(t, err, mine)
	require.True(t, Final(err), "a stop with the caller's cause is final")
	require.True(t, Final(context.Canceled))
	require.False(t, Final(errors.New("template failed")))
}
