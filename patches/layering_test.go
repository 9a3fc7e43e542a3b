package patches_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/bundle"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// layerCase is a talosctl gen config invocation: --config-patch (all),
// --config-patch-control-plane (cp), --config-patch-worker (worker), then node
// patches applied to one node's config afterwards.
type layerCase struct {
	name     string
	contract string
	all      []string
	cp       []string
	worker   []string
	node     []string
}

var layerCases = []layerCase{
	{
		name:     "strategic-v1.13",
		contract: "v1.13",
		all: []string{
			"cluster:\n  network:\n    cni:\n      name: none\n",
			"machine:\n  features:\n    kubePrism:\n      port: 7446\n",
			"apiVersion: v1alpha1\nkind: HostnameConfig\nauto: \"off\"\nhostname: node\n",
		},
		cp: []string{
			"cluster:\n  proxy:\n    disabled: true\n",
			must(patches.InlineManifest(talos.V1_13, "cilium", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cilium\n")).String(),
			"machine:\n  nodeLabels:\n    $patch: delete\n",
		},
		worker: []string{
			"machine:\n  kubelet:\n    extraArgs:\n      rotate-server-certificates: \"true\"\n",
		},
		node: []string{
			"machine:\n  install:\n    disk: /dev/vda\n",
			"apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n",
		},
	},
	{
		name:     "strategic-v1.12",
		contract: "v1.12",
		all:      []string{"cluster:\n  discovery:\n    enabled: false\n"},
		cp:       []string{"cluster:\n  extraManifests:\n    - https://example.com/a.yaml\n"},
		worker:   []string{"machine:\n  sysctls:\n    net.core.somaxconn: \"65535\"\n"},
		node:     []string{"machine:\n  network:\n    hostname: worker-1\n"},
	},
	{
		name:     "json6902-v1.11",
		contract: "v1.11",
		all: []string{
			`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`,
			`[{"op":"replace","path":"/machine/install/wipe","value":true}]`,
		},
		cp: []string{
			`[{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]`,
			"- op: add\n  path: /cluster/inlineManifests\n  value:\n    - name: cilium\n      contents: |\n        apiVersion: v1\n        kind: Namespace\n        metadata:\n          name: cilium\n",
		},
		worker: []string{
			`[{"op":"add","path":"/machine/kubelet/extraArgs","value":{"rotate-server-certificates":"true"}}]`,
			"machine:\n  sysctls:\n    net.core.somaxconn: \"65535\"\n",
		},
		node: []string{
			`[{"op":"add","path":"/machine/install/disk","value":"/dev/vda"},{"op":"remove","path":"/machine/install/wipe"}]`,
		},
	},
}

func machineryPatches(t *testing.T, texts []string) []configpatcher.Patch {
	t.Helper()

	ps, err := configpatcher.LoadPatches(texts)
	require.NoError(t, err)

	return ps
}

func ourPatches(t *testing.T, texts ...[]string) []patches.Patch {
	t.Helper()

	var out []patches.Patch

	for _, group := range texts {
		for _, text := range group {
			p, err := patches.Parse([]byte(text))
			require.NoError(t, err, text)

			out = append(out, p)
		}
	}

	return out
}

// TestLayeringMatchesGenConfig: all-node then role patches applied with Apply
// give the configs talosctl gen config gives (machinery's bundle.NewBundle
// with WithPatch, WithPatchControlPlane and WithPatchWorker), and node
// patches on top give what configpatcher gives on the bundle's config.
func TestLayeringMatchesGenConfig(t *testing.T) {
	t.Parallel()

	for _, tc := range layerCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			genOpts := []generate.Option{
				generate.WithVersionContract(machineryContract(t, tc.contract)),
				generate.WithSecretsBundle(testSecrets(t)),
			}

			b, err := bundle.NewBundle(
				bundle.WithInputOptions(&bundle.InputOptions{
					ClusterName: "test",
					Endpoint:    "https://10.0.0.1:6443",
					KubeVersion: "1.36.0",
					GenOptions:  genOpts,
				}),
				bundle.WithPatch(machineryPatches(t, tc.all)),
				bundle.WithPatchControlPlane(machineryPatches(t, tc.cp)),
				bundle.WithPatchWorker(machineryPatches(t, tc.worker)),
			)
			require.NoError(t, err)

			for _, role := range []struct {
				typ   machine.Type
				want  config.Provider
				patch []string
			}{
				{machine.TypeControlPlane, b.ControlPlaneCfg, tc.cp},
				{machine.TypeWorker, b.WorkerCfg, tc.worker},
			} {
				base := genBytes(t, tc.contract, role.typ)

				got, err := patches.Apply(base, ourPatches(t, tc.all, role.patch)...)
				require.NoError(t, err)

				want := encode(t, role.want)
				require.Empty(t, cmp.Diff(string(want), string(got)), "%s %s", tc.name, role.typ)

				// Node patches on top, in one call, equal machinery on the bundle's config.
				gotNode, err := patches.Apply(base, ourPatches(t, tc.all, role.patch, tc.node)...)
				require.NoError(t, err)

				wantNode, err := configpatcher.Apply(configpatcher.WithConfig(role.want), machineryPatches(t, tc.node))
				require.NoError(t, err)

				wantNodeCfg, err := wantNode.Config()
				require.NoError(t, err)

				require.Empty(t, cmp.Diff(string(encode(t, wantNodeCfg)), string(gotNode)), "%s %s node", tc.name, role.typ)
			}
		})
	}
}
