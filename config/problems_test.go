package config_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// TestProblemsOfGenerate: every problem of a description comes back as one talos.Problem at the
// field's path, whatever wrapping and joining Generate does.
func TestProblemsOfGenerate(t *testing.T) {
	t.Parallel()

	_, err := config.Generate(config.Cluster{
		Name: "demo", Endpoint: "10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.20.0",
		PodSubnets: []string{"10.244.0.1/16"},
	}, loadBench(t))
	require.Error(t, err)

	ps := talos.Problems(err)

	var paths []string
	for _, p := range ps {
		require.True(t, p.Document.IsZero())
		paths = append(paths, p.Path)
	}

	require.Equal(t, []string{"/endpoint", "/kubernetesVersion", "/podSubnets/0"}, paths)
	require.ErrorIs(t, ps[0].Err, config.ErrEndpoint)
	require.ErrorIs(t, ps[1].Err, config.ErrKubernetesVersion)

	var fe *talos.FieldError
	require.ErrorAs(t, ps[0].Err, &fe)
	require.Equal(t, `"https://10.5.0.2:6443"`, fe.Fix)
}

// TestProblemsOfLayers: a failing patch is one problem at its place in the Layers.
func TestProblemsOfLayers(t *testing.T) {
	t.Parallel()

	cfgs, err := config.Generate(config.Cluster{
		Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0",
	}, loadBench(t))
	require.NoError(t, err)

	good := patches.MustParse("machine:\n  sysctls:\n    a: \"1\"\n")
	bad := patches.MustParse(`[{"op":"remove","path":"/machine/nonexistent"}]`)

	for _, tc := range []struct {
		layers config.Layers
		node   []patches.Patch
		want   string
	}{
		{config.Layers{AllNodes: []patches.Patch{good, bad}}, nil, "/allNodes/1"},
		{config.Layers{Worker: []patches.Patch{bad}}, nil, "/worker/0"},
		{config.Layers{AllNodes: []patches.Patch{good}}, []patches.Patch{good, good, bad}, "/node/2"},
	} {
		_, err := node(cfgs, config.RoleWorker, tc.layers, tc.node...)
		require.Error(t, err)

		ps := talos.Problems(err)
		require.Len(t, ps, 1)
		require.Equal(t, tc.want, ps[0].Path)
		require.ErrorIs(t, ps[0].Err, patches.ErrMissingPath)

		var le *config.LayerError
		require.True(t, errors.As(ps[0].Err, &le))
	}
}
