package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/internal/kubetest"
)

// runMainEnv makes the test binary run the command (main) instead of the tests, for the tests
// that need the whole process: main silences client-go's klog output, which writes to the
// process's stderr.
const runMainEnv = "TALOSPATCH_EXAMPLE_APPLY_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits
	}

	os.Exit(m.Run())
}

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

// TestUnreachableServer runs the command against an API server address nothing listens on: it
// exits 1 and says on stderr what failed, and client-go's klog lines ("Couldn't get current
// server API group list", logged by the discovery client) do not appear.
func TestUnreachableServer(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: unreachable
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
users:
- name: user
  user:
    token: not-used
contexts:
- name: unreachable
  context:
    cluster: unreachable
    user: user
current-context: unreachable
`), 0o600))

	file := filepath.Join(dir, "manifest.yaml")
	require.NoError(t, os.WriteFile(file, []byte(manifest), 0o600))

	for _, tt := range []struct {
		name       string
		args       []string
		wantStdout []string
		// wantStderr are the prefixes of the stderr lines, one each.
		wantStderr []string
	}{
		{
			name: "classic",
			wantStdout: []string{
				`v1 Namespace example-apply: failed: Get "https://127.0.0.1:1/api?timeout=32s": `,
				"v1 ConfigMap example-apply/settings: not-attempted",
				"apps/v1 Deployment example-apply/broken: not-attempted",
			},
			wantStderr: []string{
				`apply: stopped at v1 Namespace example-apply: the REST mapping of its kind (API discovery) failed: Get "https://127.0.0.1:1/api?timeout=32s": `,
				"apply: 1 of 3 objects failed, 2 not attempted",
			},
		},
		{
			name: "inventory",
			args: []string{"-inventory"},
			wantStdout: []string{
				"v1 Namespace example-apply: not-attempted",
				"v1 ConfigMap example-apply/settings: not-attempted",
				"apps/v1 Deployment example-apply/broken: not-attempted",
			},
			wantStderr: []string{
				`apply: inventory: reading ConfigMap kube-system/talos-bootstrap-manifests-inventory: Get "https://127.0.0.1:1/`,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			cmd := exec.Command(os.Args[0], append([]string{"-kubeconfig", kubeconfig, "-f", file, "-timeout", "30s"}, tt.args...)...)
			cmd.Env = append(os.Environ(), runMainEnv+"=1")

			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr

			err := cmd.Run()

			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "stderr: %s", stderr.String())
			require.Equal(t, 1, exit.ExitCode(), "stderr: %s", stderr.String())

			requirePrefixes(t, tt.wantStdout, stdout.String())
			requirePrefixes(t, tt.wantStderr, stderr.String())
			require.NotContains(t, stderr.String(), "Couldn't get current server API group list")
			require.NotRegexp(t, `(?m)^[IWEF]\d{4} `, stderr.String(), "a klog line")
			require.Contains(t, stderr.String(), "127.0.0.1:1", "the error names the server")
		})
	}
}

// requirePrefixes checks that output has one line per prefix, each starting with it.
func requirePrefixes(t *testing.T, prefixes []string, output string) {
	t.Helper()

	lines := strings.Split(strings.TrimSuffix(output, "\n"), "\n")
	require.Len(t, lines, len(prefixes), output)

	for i, p := range prefixes {
		require.True(t, strings.HasPrefix(lines[i], p), "line %d: %q, want the prefix %q", i+1, lines[i], p)
	}
}

// TestSync updates a cluster the way talosctl upgrade-k8s does: a dry run prints each change
// with its field diff, the sync then does it, pruning follows -no-prune, and a second sync
// changes nothing.
func TestSync(t *testing.T) {
	t.Parallel()

	env := kubetest.Start(t)
	dir := t.TempDir()

	const namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: example-sync\n"
	configMap := func(name, value string) string {
		return "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: example-sync\ndata:\n  x: \"" + value + "\"\n"
	}

	sync := func(manifest string, extra ...string) (int, string, string) {
		file := filepath.Join(dir, "manifest.yaml")
		require.NoError(t, os.WriteFile(file, []byte(manifest), 0o600))

		var stdout, stderr bytes.Buffer
		code := run(append([]string{"-sync", "-kubeconfig", env.Kubeconfig, "-f", file}, extra...), &stdout, &stderr)

		return code, strings.TrimSpace(stdout.String()), stderr.String()
	}

	first := namespace + configMap("one", "1") + configMap("two", "2")
	code, out, errOut := sync(first, "-dry-run")
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasSuffix(out, "3 created, 0 configured, 0 pruned, 0 unchanged (dry run)"), out)

	code, out, errOut = sync(first)
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasSuffix(out, "3 created, 0 configured, 0 pruned, 0 unchanged"), out)

	// The edit: one changes, two leaves the manifest.
	second := namespace + configMap("one", "10")
	code, out, errOut = sync(second, "-dry-run")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "v1 ConfigMap example-sync/one\n    ~ /data/x: \"1\" -> \"10\"")
	require.Contains(t, out, "v1 ConfigMap example-sync/two")
	require.True(t, strings.HasSuffix(out, "0 created, 1 configured, 1 pruned, 1 unchanged (dry run)"), out)

	code, out, errOut = sync(second, "-no-prune")
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasSuffix(out, "0 created, 1 configured, 0 pruned, 1 unchanged"), out)

	code, out, errOut = sync(second)
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasSuffix(out, "0 created, 0 configured, 1 pruned, 2 unchanged"), out)

	code, out, errOut = sync(second)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "0 created, 0 configured, 0 pruned, 2 unchanged", out, "a second sync changes nothing")

	// An invalid object stops the sync before anything is applied, and says so.
	code, _, errOut = sync(second + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\n  namespace: example-sync\nspec: {}\n")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "apps/v1 Deployment example-sync/broken")
	require.Contains(t, errOut, "before applying anything")

	code, _, _ = sync(second, "-inventory")
	require.Equal(t, 2, code, "-sync always uses the inventory")
}
