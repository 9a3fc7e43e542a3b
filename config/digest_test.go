package config_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

const digestBase = `version: v1alpha1
machine:
  type: worker
  certSANs:
    - 10.0.0.1
    - node-1
  install:
    disk: /dev/sda
cluster:
  clusterName: demo
---
apiVersion: v1alpha1
kind: KubePrismConfig
port: 7445
---
apiVersion: v1alpha1
kind: DiscoveryServiceConfig
name: default
endpoint: https://discovery.talos.dev/
`

// digestBaseGolden is the digest of digestBase. It must never change: a provider keeps configs
// in state by it, and a new digest for the same config would be a perpetual diff. It is the
// sha256sum of the canonical form written by hand:
//
//	[{"cluster":{"clusterName":"demo"},"machine":{"certSANs":["10.0.0.1","node-1"],"install":{"disk":"/dev/sda"},"type":"worker"},"version":"v1alpha1"},
//	 {"apiVersion":"v1alpha1","endpoint":"https://discovery.talos.dev/","kind":"DiscoveryServiceConfig","name":"default"},
//	 {"apiVersion":"v1alpha1","kind":"KubePrismConfig","port":7445}]
//
// (one line, no spaces).
const digestBaseGolden = "sha256:210f2fabd4abee9c9dedbf1ccff5a553c53c21e892af0c03c55a093620d31218"

func TestDigestIgnoresEncoding(t *testing.T) {
	t.Parallel()

	same := map[string]string{
		"comments and indentation": `# a comment
version: v1alpha1 # trailing
machine:
    type: worker
    certSANs:
    - 10.0.0.1
    - node-1
    install: {disk: /dev/sda}
cluster:
    clusterName: demo
---
apiVersion: v1alpha1
kind: KubePrismConfig
port: 7445
---
apiVersion: v1alpha1
kind: DiscoveryServiceConfig
name: default
endpoint: https://discovery.talos.dev/
`,
		"key order, quoting and flow style": `cluster: {clusterName: 'demo'}
machine:
  install:
    disk: "/dev/sda"
  certSANs: ["10.0.0.1", node-1]
  type: worker
version: v1alpha1
---
kind: KubePrismConfig
apiVersion: v1alpha1
port: 7445
---
name: default
kind: DiscoveryServiceConfig
endpoint: "https://discovery.talos.dev/"
apiVersion: v1alpha1
`,
		"document order, empty values and empty documents": `apiVersion: v1alpha1
kind: DiscoveryServiceConfig
name: default
endpoint: https://discovery.talos.dev/
registries: {}
---
---
apiVersion: v1alpha1
kind: KubePrismConfig
port: 7445
---
version: v1alpha1
debug: null
machine:
  type: worker
  nodeLabels: {}
  certSANs:
    - 10.0.0.1
    - node-1
  install:
    disk: /dev/sda
    extraKernelArgs: []
cluster:
  clusterName: demo
`,
	}

	base, err := config.Digest([]byte(digestBase))
	require.NoError(t, err)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, base)

	for name, text := range same {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			d, err := config.Digest([]byte(text))
			require.NoError(t, err)
			require.Equal(t, base, d)

			eq, err := config.Equivalent([]byte(digestBase), []byte(text))
			require.NoError(t, err)
			require.True(t, eq)
		})
	}
}

func TestDigestSeesContent(t *testing.T) {
	t.Parallel()

	base, err := config.Digest([]byte(digestBase))
	require.NoError(t, err)

	replace := func(old, new string) string {
		out := []byte(digestBase)
		i := indexOf(t, digestBase, old)

		return string(out[:i]) + new + string(out[i+len(old):])
	}

	for name, text := range map[string]string{
		"a value":                replace("disk: /dev/sda", "disk: /dev/sdb"),
		"a list's order":         replace("    - 10.0.0.1\n    - node-1", "    - node-1\n    - 10.0.0.1"),
		"a scalar's type":        replace("port: 7445", `port: "7445"`),
		"a document's name":      replace("name: default", "name: other"),
		"a false is not missing": replace("cluster:\n", "cluster:\n  allowSchedulingOnControlPlanes: false\n"),
		"a document less":        digestBase[:indexOf(t, digestBase, "---\napiVersion: v1alpha1\nkind: DiscoveryServiceConfig")],
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			d, err := config.Digest([]byte(text))
			require.NoError(t, err)
			require.NotEqual(t, base, d)

			eq, err := config.Equivalent([]byte(digestBase), []byte(text))
			require.NoError(t, err)
			require.False(t, eq)
		})
	}
}

func indexOf(t *testing.T, s, sub string) int {
	t.Helper()

	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}

	t.Fatalf("%q not in the base config", sub)

	return -1
}

// TestDigestIsStable: the digest of a config is the same in every version of this module.
func TestDigestIsStable(t *testing.T) {
	t.Parallel()

	d, err := config.Digest([]byte(digestBase))
	require.NoError(t, err)
	require.Equal(t, digestBaseGolden, d)
}

// TestDigestOfGeneratedConfigs: Encode and EncodeWithComments write the same config, and
// DigestOf is the digest of Encode's bytes; the two roles differ.
func TestDigestOfGeneratedConfigs(t *testing.T) {
	t.Parallel()

	cfgs, err := config.Generate(config.Cluster{
		Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0",
	}, loadBench(t))
	require.NoError(t, err)

	plain, err := config.Encode(cfgs.ControlPlane)
	require.NoError(t, err)

	commented, err := config.EncodeWithComments(cfgs.ControlPlane)
	require.NoError(t, err)
	require.NotEqual(t, plain, commented)

	eq, err := config.Equivalent(plain, commented)
	require.NoError(t, err)
	require.True(t, eq)

	d, err := config.Digest(plain)
	require.NoError(t, err)

	of, err := config.DigestOf(cfgs.ControlPlane)
	require.NoError(t, err)
	require.Equal(t, d, of)

	w, err := config.DigestOf(cfgs.Worker)
	require.NoError(t, err)
	require.NotEqual(t, d, w)
}

func TestDigestErrors(t *testing.T) {
	t.Parallel()

	_, err := config.Digest([]byte("a: [1\n"))
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = config.Digest([]byte("- a\n- b\n"))
	require.ErrorIs(t, err, config.ErrInvalid)
	require.ErrorContains(t, err, "not a mapping")

	_, err = config.Equivalent([]byte(digestBase), []byte("a: [1\n"))
	require.ErrorContains(t, err, "config b")
	require.True(t, errors.Is(err, config.ErrInvalid), fmt.Sprint(err))
}
