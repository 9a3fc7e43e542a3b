package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// sharedDir is the shared fixtures folder beside the repository (<repo>/../shared).
const sharedDir = "../../shared"

// benchSecrets returns the fixed secrets bundle of the shared fixtures.
func benchSecrets(t testing.TB) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join(sharedDir, "bench", "secrets.yaml"))
	require.NoError(t, err, "the shared fixtures must be beside the repository")

	return data
}
