package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/internal/kubetest"
)

const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: example-apply
---
apiVersion: v1
kind: Namespace
metadata:
  name: example-apply
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  namespace: example-apply
spec: {}
`

func TestRun(t *testing.T) {
	t.Parallel()

	env := kubetest.Start(t)
	file := filepath.Join(t.TempDir(), "manifest.yaml")
	require.NoError(t, os.WriteFile(file, []byte(manifest), 0o600))

	apply := func(extra ...string) (int, []string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"-kubeconfig", env.Kubeconfig, "-f", file}, extra...), &stdout, &stderr)

		return code, strings.Split(strings.TrimSpace(stdout.String()), "\n")
	}

	code, lines := apply("-dry-run")
	require.Equal(t, 0, code, lines)
	require.Equal(t, "v1 Namespace example-apply: created", lines[0])
	require.Equal(t, `v1 ConfigMap example-apply/settings: unverified: its namespace "example-apply" is created by the same input`, lines[1])
	require.True(t, strings.HasPrefix(lines[2], "apps/v1 Deployment example-apply/broken: unverified"), lines[2])

	code, lines = apply()
	require.Equal(t, 1, code)
	require.Equal(t, "v1 Namespace example-apply: created", lines[0])
	require.Equal(t, "v1 ConfigMap example-apply/settings: created", lines[1])
	require.True(t, strings.HasPrefix(lines[2], "apps/v1 Deployment example-apply/broken: failed: "), lines[2])
	require.Contains(t, lines[2], "is invalid")

	code, lines = apply()
	require.Equal(t, 1, code)
	require.Equal(t, "v1 Namespace example-apply: exists", lines[0])
	require.Equal(t, "v1 ConfigMap example-apply/settings: exists", lines[1])

	code, _ = apply("-unknown-flag")
	require.Equal(t, 2, code)
}
