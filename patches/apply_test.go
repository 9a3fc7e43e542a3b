package patches_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func TestApplyJSON6902(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name  string
		patch string
		check func(t *testing.T, out []byte)
		err   error
		op    int
		doc   string
	}{
		{
			name:  "add on multi-document config",
			patch: `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`,
			check: func(t *testing.T, out []byte) {
				require.Contains(t, string(out), "cni:\n            name: none\n")
				require.Contains(t, string(out), "---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n")
			},
		},
		{
			name:  "replace existing",
			patch: `[{"op":"replace","path":"/machine/install/wipe","value":true}]`,
			check: func(t *testing.T, out []byte) { require.Contains(t, string(out), "wipe: true") },
		},
		{
			name:  "test then copy then move",
			patch: `[{"op":"test","path":"/cluster/clusterName","value":"test"},{"op":"copy","from":"/cluster/clusterName","path":"/machine/nodeLabels/cluster"},{"op":"move","from":"/machine/nodeLabels/cluster","path":"/machine/nodeLabels/moved"}]`,
			check: func(t *testing.T, out []byte) {
				require.Contains(t, string(out), "moved: test")
				require.NotContains(t, string(out), "cluster: test")
			},
		},
		{
			name:  "escaped pointer",
			patch: `[{"op":"remove","path":"/machine/nodeLabels/node.kubernetes.io~1exclude-from-external-load-balancers"}]`,
			check: func(t *testing.T, out []byte) { require.NotContains(t, string(out), "exclude-from-external") },
		},
		{
			name:  "negative-looking object member is fine",
			patch: `[{"op":"add","path":"/machine/nodeLabels/-1","value":"x"}]`,
			check: func(t *testing.T, out []byte) { require.Contains(t, string(out), `"-1": x`) },
		},
		{
			name:  "append to list",
			patch: `[{"op":"add","path":"/machine/certSANs/-","value":"10.0.0.2"}]`,
			check: func(t *testing.T, out []byte) { require.Contains(t, string(out), "certSANs:\n        - 10.0.0.2\n") },
		},
		{name: "replace missing", patch: `[{"op":"replace","path":"/cluster/proxy/disabled","value":true}]`, err: patches.ErrMissingPath, doc: "v1alpha1"},
		{name: "remove missing", patch: `[{"op":"test","path":"/version","value":"v1alpha1"},{"op":"remove","path":"/cluster/inlineManifests"}]`, err: patches.ErrMissingPath, op: 1, doc: "v1alpha1"},
		{name: "add under missing parent", patch: `[{"op":"add","path":"/cluster/nothere/x","value":1}]`, err: patches.ErrMissingPath},
		{name: "index out of range", patch: `[{"op":"replace","path":"/cluster/network/podSubnets/5","value":"10.0.0.0/8"}]`, err: patches.ErrMissingPath},
		{name: "move missing", patch: `[{"op":"move","from":"/cluster/nothere","path":"/cluster/x"}]`, err: patches.ErrMissingPath},
		{name: "negative index", patch: `[{"op":"remove","path":"/cluster/network/podSubnets/-1"}]`, err: patches.ErrNegativeIndex},
		{name: "negative index is an invalid operation", patch: `[{"op":"add","path":"/cluster/network/podSubnets/-1","value":"10.0.0.0/8"}]`, err: patches.ErrInvalidOperation},
		{name: "negative copy source", patch: `[{"op":"copy","from":"/cluster/network/podSubnets/-1","path":"/cluster/network/serviceSubnets/-"}]`, err: patches.ErrNegativeIndex},
		{name: "test fails", patch: `[{"op":"test","path":"/cluster/clusterName","value":"other"}]`, err: patches.ErrTestFailed},
		{name: "result does not decode", patch: `[{"op":"add","path":"/cluster/bogus","value":1}]`, err: patches.ErrInvalidConfig},
		{name: "wrong type", patch: `[{"op":"replace","path":"/machine/install/wipe","value":{"a":1}}]`, err: patches.ErrInvalidConfig},
		{name: "unknown target", patch: `[{"op":"test","path":"/kind","value":"KubeSpanConfig"},{"op":"remove","path":"/mtu"}]`, err: patches.ErrUnknownDocument, op: -1, doc: "KubeSpanConfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			cfg := genBytes(t, "v1.13", machine.TypeControlPlane)
			orig := bytes.Clone(cfg)

			out, err := patches.Apply(cfg, patches.MustParse(`[{"op":"test","path":"/version","value":"v1alpha1"}]`), patches.MustParse(tc.patch))
			require.Equal(t, orig, cfg, "input modified")

			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Nil(t, out)

				var pe *patches.Error
				require.ErrorAs(t, err, &pe)
				require.Equal(t, 1, pe.Patch)
				require.Equal(t, patches.KindJSON6902, pe.Kind)

				if tc.doc != "" {
					require.Equal(t, tc.doc, pe.Document)
				}

				if tc.op != 0 || pe.Op >= 0 {
					require.Equal(t, tc.op, pe.Op)
				}

				if pe.Op >= 0 {
					ops := patches.MustParse(tc.patch).Operations()
					require.Equal(t, ops[pe.Op].Op(), pe.Operation)
					require.Equal(t, ops[pe.Op].Path(), pe.Path)
				}

				return
			}

			require.NoError(t, err)
			tc.check(t, out)
		})
	}
}

func TestApplyTargetsOtherDocument(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeControlPlane)

	p, err := patches.OpsFor(patches.Document{Kind: "HostnameConfig"},
		patches.Replace("/auto", "off"),
		patches.Add("/hostname", "cp-1"),
	)
	require.NoError(t, err)

	out, err := patches.Apply(cfg, p)
	require.NoError(t, err)

	prov, err := configloader.NewFromBytes(out)
	require.NoError(t, err)
	require.Equal(t, "cp-1", prov.NetworkHostnameConfig().Hostname())

	// The v1alpha1 document is untouched and stays first.
	before, _, _ := bytes.Cut(cfg, []byte("---\n"))
	after, rest, _ := bytes.Cut(out, []byte("---\n"))
	require.Empty(t, cmp.Diff(string(before), string(after)))
	require.Equal(t, "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: 'off'\nhostname: cp-1\n", string(rest))
}

func TestApplyNamedDocuments(t *testing.T) {
	t.Parallel()

	base := genBytes(t, "v1.13", machine.TypeWorker)
	cfg := mustApply(t, base, patches.MustParse(`apiVersion: v1alpha1
kind: UserVolumeConfig
name: data
provisioning:
  diskSelector:
    match: system_disk
  maxSize: 10GiB
---
apiVersion: v1alpha1
kind: UserVolumeConfig
name: logs
provisioning:
  diskSelector:
    match: system_disk
  maxSize: 1GiB
`))

	// Kind alone is ambiguous.
	p, err := patches.OpsFor(patches.Document{Kind: "UserVolumeConfig"}, patches.Replace("/provisioning/maxSize", "2GiB"))
	require.NoError(t, err)

	_, err = patches.Apply(cfg, p)
	require.ErrorIs(t, err, patches.ErrUnknownDocument)
	require.ErrorContains(t, err, "2 UserVolumeConfig documents")

	// Kind and name address one document; the others stay as they were, in order.
	p, err = patches.OpsFor(patches.Document{Kind: "UserVolumeConfig", Name: "logs"}, patches.Replace("/provisioning/maxSize", "2GiB"))
	require.NoError(t, err)

	out, err := patches.Apply(cfg, p)
	require.NoError(t, err)
	require.Equal(t, strings.Replace(string(cfg), "maxSize: 1GiB", "maxSize: 2GiB", 1), string(out))

	_, err = patches.Apply(cfg, patches.MustParse(`[{"op":"test","path":"/kind","value":"UserVolumeConfig"},{"op":"test","path":"/name","value":"nope"},{"op":"remove","path":"/provisioning"}]`))
	require.ErrorIs(t, err, patches.ErrUnknownDocument)
}

func TestApplyZeroPatch(t *testing.T) {
	t.Parallel()

	_, err := patches.Apply(genBytes(t, "v1.13", machine.TypeWorker), patches.Patch{})
	require.ErrorIs(t, err, patches.ErrEmptyPatch)
}

func TestApplyInvalidConfig(t *testing.T) {
	t.Parallel()

	_, err := patches.Apply([]byte("machine:\n  bogus: 1\n"), must(patches.CNINone(talos.V1_13)))
	require.ErrorIs(t, err, patches.ErrInvalidConfig)

	_, err = patches.ApplyProvider(nil, must(patches.CNINone(talos.V1_13)))
	require.ErrorIs(t, err, patches.ErrInvalidConfig)
}

func TestApplyProviderDoesNotMutate(t *testing.T) {
	t.Parallel()

	in := genConfig(t, "v1.13", machine.TypeControlPlane)
	before := encode(t, in)

	out, err := patches.ApplyProvider(in,
		must(patches.StrictMode(talos.V1_13)),
		must(patches.InlineManifest(talos.V1_13, "x", "a: 1\n")),
		patches.MustParse(`[{"op":"replace","path":"/machine/install/wipe","value":true}]`),
	)
	require.NoError(t, err)
	require.Equal(t, string(before), string(encode(t, in)))
	require.NotEqual(t, string(before), string(encode(t, out)))

	// Failing later patch: nothing returned, input intact.
	out, err = patches.ApplyProvider(in, must(patches.StrictMode(talos.V1_13)), patches.MustParse(`[{"op":"remove","path":"/nope"}]`))
	require.Error(t, err)
	require.Nil(t, out)
	require.Equal(t, string(before), string(encode(t, in)))
}

// TestStrategicMatchesConfigpatcher: strategic merge patches give exactly
// machinery's results, errors included.
func TestStrategicMatchesConfigpatcher(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name  string
		patch string
		fails bool
	}{
		{name: "merge", patch: "machine:\n  kubelet:\n    extraArgs:\n      a: b\ncluster:\n  proxy:\n    disabled: true\n"},
		{name: "list appends", patch: "machine:\n  certSANs:\n    - a.example.com\n"},
		{name: "replace-tagged list", patch: "cluster:\n  network:\n    podSubnets:\n      - 10.1.0.0/16\n"},
		{name: "inline manifests append", patch: "cluster:\n  inlineManifests:\n    - name: a\n      contents: 'x: 1'\n"},
		{name: "delete section", patch: "cluster:\n  discovery:\n    $patch: delete\n"},
		{name: "delete map key", patch: "machine:\n  nodeLabels:\n    node.kubernetes.io/exclude-from-external-load-balancers:\n      $patch: delete\n"},
		{name: "delete document", patch: "apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n"},
		{name: "change document", patch: "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: \"off\"\nhostname: x\n"},
		{name: "add document", patch: "apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n"},
		{name: "delete missing list item", patch: "cluster:\n  inlineManifests:\n    - name: nope\n      $patch: delete\n", fails: true},
		{name: "delete missing document", patch: "apiVersion: v1alpha1\nkind: KubeSpanConfig\n$patch: delete\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			base := genConfig(t, "v1.13", machine.TypeControlPlane)

			mp, err := configpatcher.LoadPatch([]byte(tc.patch))
			require.NoError(t, err)

			want, wantErr := configpatcher.Apply(configpatcher.WithConfig(base), []configpatcher.Patch{mp})

			got, err := patches.ApplyProvider(base, patches.MustParse(tc.patch))
			if tc.fails {
				require.Error(t, wantErr)
				require.ErrorIs(t, err, patches.ErrMissingPath)

				var pe *patches.Error
				require.ErrorAs(t, err, &pe)
				require.Equal(t, "v1alpha1", pe.Document)

				return
			}

			require.NoError(t, wantErr)
			require.NoError(t, err)

			wantCfg, err := want.Config()
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(string(encode(t, wantCfg)), string(encode(t, got))))
		})
	}
}

// TestMachineryPanicIsAnError: machinery v1.13 panicked when merging a null entry in a list
// that merges by name (Apply turns such panics into errors); machinery v1.14 refuses the null
// entry when decoding, so such a patch does not parse and never reaches a merge.
func TestMachineryPanicIsAnError(t *testing.T) {
	t.Parallel()

	p, err := patches.Parse([]byte("cluster:\n  apiServer:\n    admissionControl:\n      - null\n"))
	require.ErrorIs(t, err, patches.ErrInvalidPatch)
	require.ErrorContains(t, err, "null value is not allowed")
	require.True(t, p.IsZero())
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()

	_, err := patches.Apply(genBytes(t, "v1.13", machine.TypeWorker),
		must(patches.CNINone(talos.V1_13)),
		patches.MustParse(`[{"op":"replace","path":"/cluster/proxy/disabled","value":true}]`))
	require.ErrorContains(t, err, `apply patch 1 (json6902) to document v1alpha1: operation 0 replace "/cluster/proxy/disabled": missing path: `)
}

// TestApplyProviderLeavesEndpointAlone guards against machinery's shallow Clone: the
// control-plane endpoint URL is a pointer that a strategic merge would write through.
func TestApplyProviderLeavesEndpointAlone(t *testing.T) {
	t.Parallel()

	for _, text := range []string{
		"cluster:\n  controlPlane:\n    endpoint: https://10.9.9.9:443\n",
		`[{"op":"replace","path":"/cluster/controlPlane/endpoint","value":"https://10.9.9.9:443"}]`,
	} {
		cfg := genConfig(t, "v1.13", machine.TypeControlPlane)
		before := encode(t, cfg)
		want := cfg.K8sClusterConfig().ClusterEndpoint().String()

		out, err := patches.ApplyProvider(cfg, patches.MustParse(text))
		require.NoError(t, err)
		require.Equal(t, "https://10.9.9.9:443", out.K8sClusterConfig().ClusterEndpoint().String())
		require.Equal(t, want, cfg.K8sClusterConfig().ClusterEndpoint().String(), "input endpoint changed by %s", text)
		require.Equal(t, string(before), string(encode(t, cfg)))
	}
}

// TestApplyCopyGrowthIsPerPatch: the 4 MiB bound on what "copy" operations add holds for all
// the copies of a patch together, though operations are applied one at a time.
func TestApplyCopyGrowthIsPerPatch(t *testing.T) {
	t.Parallel()

	big := strings.Repeat("x", 3<<19) // 1.5 MiB
	p, err := patches.Ops(
		patches.Add("/machine/nodeAnnotations", map[string]string{"big": big}),
		patches.Copy("/machine/nodeAnnotations/big", "/machine/nodeAnnotations/c1"),
		patches.Copy("/machine/nodeAnnotations/big", "/machine/nodeAnnotations/c2"),
		patches.Copy("/machine/nodeAnnotations/big", "/machine/nodeAnnotations/c3"), // 4.5 MiB copied
	)
	require.NoError(t, err)

	out, err := patches.Apply(genBytes(t, "v1.13", machine.TypeWorker), p)
	require.ErrorIs(t, err, patches.ErrInvalidOperation)
	require.Nil(t, out)

	var perr *patches.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, 3, perr.Op, "the copy that crosses the bound fails: %v", err)
}

// TestApplyProviderConcurrent: one provider patched from several goroutines at once (run with
// -race): each gets its own result and the shared input is never written.
func TestApplyProviderConcurrent(t *testing.T) {
	t.Parallel()

	in := genConfig(t, "v1.13", machine.TypeControlPlane)
	before := encode(t, in)

	const workers = 6

	outs := make([][]byte, workers)
	errs := make([]error, workers)

	var wg sync.WaitGroup

	for i := range workers {
		wg.Go(func() {
			p := patches.MustParse(fmt.Sprintf("cluster:\n  controlPlane:\n    endpoint: https://10.9.9.%d:6443\n", i))

			out, err := patches.ApplyProvider(in, p, must(patches.InlineManifest(talos.V1_13, "x", "a: 1\n")))
			if err == nil {
				outs[i], err = out.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
			}

			errs[i] = err
		})
	}

	wg.Wait()

	for i := range workers {
		require.NoError(t, errs[i])
		require.Contains(t, string(outs[i]), fmt.Sprintf("endpoint: https://10.9.9.%d:6443\n", i))
	}

	require.Equal(t, string(before), string(encode(t, in)))
}

// TestApplyProviderLeavesAnnotationsAlone guards against machinery's DeepCopy sharing the
// machine.nodeAnnotations map: a patch adding an annotation must not reach the input.
func TestApplyProviderLeavesAnnotationsAlone(t *testing.T) {
	t.Parallel()

	base, err := patches.ApplyProvider(genConfig(t, "v1.13", machine.TypeWorker),
		patches.MustParse("machine:\n  nodeAnnotations:\n    example.com/role: base\n"))
	require.NoError(t, err)

	before := encode(t, base)

	out, err := patches.ApplyProvider(base, patches.MustParse("machine:\n  nodeAnnotations:\n    example.com/node: worker-1\n"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"example.com/role": "base", "example.com/node": "worker-1"}, map[string]string(out.RawV1Alpha1().MachineConfig.MachineNodeAnnotations))
	require.Equal(t, map[string]string{"example.com/role": "base"}, map[string]string(base.RawV1Alpha1().MachineConfig.MachineNodeAnnotations), "input annotations changed")
	require.Equal(t, string(before), string(encode(t, base)))
}
