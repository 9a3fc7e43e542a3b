package config_test

import (
	"encoding/json"
	"errors"
	"testing"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/bundle"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

const (
	allNodesPatch     = "machine:\n  sysctls:\n    a: \"1\"\n    b: \"1\"\n    c: \"1\"\n"
	controlPlanePatch = "machine:\n  sysctls:\n    b: \"2\"\n"
	workerPatch       = "machine:\n  sysctls:\n    b: \"3\"\n"
	secondAllPatch    = "machine:\n  sysctls:\n    c: \"4\"\n"
)

// TestLayersEqualToTalosctl: Configs.Patch applies all-nodes, then role patches exactly as
// talosctl gen config applies --config-patch, --config-patch-control-plane and
// --config-patch-worker, on every listed contract.
func TestLayersEqualToTalosctl(t *testing.T) {
	t.Parallel()

	secretsYAML := benchSecrets(t)
	s := loadBench(t)

	for _, cc := range contractCases {
		t.Run(cc.contract, func(t *testing.T) {
			t.Parallel()

			c := settingsCases[0].cluster(talos.MustParseContract(cc.contract), cc.kubernetes)

			cfgs, err := config.Generate(c, s)
			require.NoError(t, err)

			layers := config.Layers{
				AllNodes:     []patches.Patch{patches.MustParse(allNodesPatch), patches.MustParse(secondAllPatch)},
				ControlPlane: []patches.Patch{patches.MustParse(controlPlanePatch)},
				Worker:       []patches.Patch{patches.MustParse(workerPatch)},
			}

			got, err := cfgs.Patch(layers)
			require.NoError(t, err)

			want := referenceBundleWithLayers(t, secretsYAML, c)

			requireSameDocuments(t, want.ControlPlane(), got.ControlPlane)
			requireSameDocuments(t, want.Worker(), got.Worker)

			require.Equal(t, map[string]string{"a": "1", "b": "2", "c": "4"}, got.ControlPlane.Machine().Sysctls())
			require.Equal(t, map[string]string{"a": "1", "b": "3", "c": "4"}, got.Worker.Machine().Sysctls())
		})
	}
}

func referenceBundleWithLayers(t *testing.T, secretsYAML []byte, c config.Cluster) *bundle.Bundle {
	t.Helper()

	load := func(texts ...string) []configpatcher.Patch {
		ps, err := configpatcher.LoadPatches(texts)
		require.NoError(t, err)

		return ps
	}

	sc := settingsCase{options: noOptions, patches: noPatches}
	ref := referenceBundle(t, secretsYAML, c, sc)

	// talosctl gen config applies its patch flags in this order on a fresh bundle.
	require.NoError(t, ref.ApplyPatches(load(allNodesPatch, secondAllPatch), true, true))
	require.NoError(t, ref.ApplyPatches(load(controlPlanePatch), true, false))
	require.NoError(t, ref.ApplyPatches(load(workerPatch), false, true))

	return ref
}

// TestNodeLayerOrder: later layers win: node over role over all nodes.
func TestNodeLayerOrder(t *testing.T) {
	t.Parallel()

	cfgs, err := config.Generate(demo(), loadBench(t))
	require.NoError(t, err)

	before := mustEncodeProvider(t, cfgs.ControlPlane)

	layers := config.Layers{
		AllNodes:     []patches.Patch{patches.MustParse(allNodesPatch)},
		ControlPlane: []patches.Patch{patches.MustParse(controlPlanePatch)},
		Worker:       []patches.Patch{patches.MustParse(workerPatch)},
	}

	nodePatch := patches.MustParse("machine:\n  sysctls:\n    a: \"9\"\n    b: \"9\"\n")

	cp, err := node(cfgs, config.RoleControlPlane, layers, nodePatch)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "9", "b": "9", "c": "1"}, cp.Machine().Sysctls())

	w, err := node(cfgs, config.RoleWorker, layers)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "1", "b": "3", "c": "1"}, w.Machine().Sysctls())

	// An RFC 6902 node patch works on the multi-document v1.13 config.
	jsonPatch := patches.MustParse(`[{"op":"add","path":"/machine/sysctls/d","value":"5"}]`)
	cp1, err := node(cfgs, config.RoleControlPlane, layers, jsonPatch)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "1", "b": "2", "c": "1", "d": "5"}, cp1.Machine().Sysctls())

	// machinery's Clone shares the endpoint URL; a strategic merge would write through it.
	moved, err := node(cfgs, config.RoleControlPlane, layers, patches.MustParse("cluster:\n  controlPlane:\n    endpoint: https://10.9.9.9:443\n"))
	require.NoError(t, err)
	require.Equal(t, "https://10.9.9.9:443", moved.K8sClusterConfig().ClusterEndpoint().String())
	require.Equal(t, "https://10.5.0.2:6443", cfgs.ControlPlane.K8sClusterConfig().ClusterEndpoint().String())

	require.Equal(t, before, mustEncodeProvider(t, cfgs.ControlPlane), "Node must not modify the role config")

	// No layers: the role config itself.
	same, err := node(cfgs, config.RoleWorker, config.Layers{})
	require.NoError(t, err)
	require.Equal(t, mustEncodeProvider(t, cfgs.Worker), mustEncodeProvider(t, same))
}

func TestLayerErrors(t *testing.T) {
	t.Parallel()

	cfgs, err := config.Generate(demo(), loadBench(t))
	require.NoError(t, err)

	bad := patches.MustParse(`[{"op":"remove","path":"/machine/nonexistent"}]`)

	layers := config.Layers{
		AllNodes: []patches.Patch{patches.MustParse(allNodesPatch)},
		Worker:   []patches.Patch{patches.MustParse(workerPatch), bad},
	}

	// The control plane does not get the worker layer; a Builder of both roles fails with it.
	_, err = node(config.Configs{ControlPlane: cfgs.ControlPlane}, config.RoleControlPlane, layers)
	require.NoError(t, err)

	w, err := node(cfgs, config.RoleWorker, layers)
	require.Nil(t, w)

	var le *config.LayerError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "worker", le.Layer)
	require.Equal(t, 1, le.Index)
	require.ErrorIs(t, err, patches.ErrMissingPath)

	var pe *patches.Error
	require.True(t, errors.As(err, &pe))
	require.Equal(t, "/machine/nonexistent", pe.Path)

	patched, err := cfgs.Patch(layers)
	require.ErrorAs(t, err, &le)
	require.Equal(t, config.Configs{}, patched)

	_, err = node(cfgs, config.RoleControlPlane, config.Layers{}, bad)
	require.ErrorAs(t, err, &le)
	require.Equal(t, "node", le.Layer)

	_, err = node(cfgs, config.RoleUnknown, config.Layers{})
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = node(config.Configs{}, config.RoleWorker, config.Layers{})
	require.ErrorIs(t, err, config.ErrInvalid)
}

// TestLayersAsData: Layers is plain data; each patch is its --config-patch text.
func TestLayersAsData(t *testing.T) {
	t.Parallel()

	l := config.Layers{
		AllNodes: []patches.Patch{patches.MustParse(allNodesPatch)},
		Worker:   []patches.Patch{patches.MustParse(`[{"op":"add","path":"/machine/sysctls/d","value":"5"}]`)},
	}

	js, err := json.Marshal(l)
	require.NoError(t, err)

	var back config.Layers
	require.NoError(t, json.Unmarshal(js, &back))
	require.Equal(t, l.AllNodes[0].String(), back.AllNodes[0].String())
	require.Equal(t, l.Worker[0].String(), back.Worker[0].String())
	require.Empty(t, back.ControlPlane)

	y, err := yaml.Marshal(l)
	require.NoError(t, err)

	var fromYAML config.Layers
	require.NoError(t, yaml.Unmarshal(y, &fromYAML))
	require.Equal(t, l.AllNodes[0].String(), fromYAML.AllNodes[0].String())
	require.Equal(t, l.Worker[0].String(), fromYAML.Worker[0].String())
}

// TestScopedPatchesInLayers: on v1.14 the guide's patches go into AllNodes and each reaches
// only the role it is for; the configs equal talosctl's with the patches behind their flags; a
// control-plane patch in the worker layer and a control-plane-only document for workers are
// errors naming the layer.
func TestScopedPatchesInLayers(t *testing.T) {
	t.Parallel()

	c := demo()
	c.Contract, c.KubernetesVersion = talos.V1_14, "1.37.0"
	c.CNI, c.KubeProxyDisabled = config.CNI{}, false

	cfgs, err := config.Generate(c, loadBench(t))
	require.NoError(t, err)

	strict, err := patches.StrictMode(talos.V1_14)
	require.NoError(t, err)

	inline, err := patches.InlineManifest(talos.V1_14, "cilium", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cilium\n")
	require.NoError(t, err)

	got, err := cfgs.Patch(config.Layers{AllNodes: []patches.Patch{strict, inline}})
	require.NoError(t, err)

	// The same as generating the Cilium-ready cluster directly, plus the inline manifest.
	ready := c
	ready.CNI, ready.KubeProxyDisabled = config.CNI{Name: config.CNINone}, true

	want, err := config.Generate(ready, loadBench(t))
	require.NoError(t, err)

	want, err = want.Patch(config.Layers{ControlPlane: []patches.Patch{inline}})
	require.NoError(t, err)

	for _, pair := range [][2]coreconfig.Provider{{want.ControlPlane, got.ControlPlane}, {want.Worker, got.Worker}} {
		a, err := config.Encode(pair[0])
		require.NoError(t, err)

		b, err := config.Encode(pair[1])
		require.NoError(t, err)
		require.Equal(t, string(a), string(b))

		_, err = config.Validate(pair[1], config.ModeContainer)
		require.NoError(t, err)
	}

	_, err = node(cfgs, config.RoleWorker, config.Layers{Worker: []patches.Patch{strict}})

	var le *config.LayerError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "worker", le.Layer)
	require.ErrorContains(t, err, "control-plane patch in the worker layer")

	_, err = node(cfgs, config.RoleWorker, config.Layers{AllNodes: []patches.Patch{patches.MustParse("apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n")}})
	require.ErrorIs(t, err, patches.ErrControlPlaneOnly)
	require.ErrorAs(t, err, &le)
	require.Equal(t, "allNodes", le.Layer)
}
