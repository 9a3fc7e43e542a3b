package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/talospatch/talospatch/manifests/source"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/cluster"
	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func secrets(t testing.TB) *config.Secrets {
	t.Helper()

	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	require.NoError(t, err)

	s, err := config.LoadSecrets(data)
	require.NoError(t, err)

	return s
}

var (
	rendererOnce sync.Once
	renderer     *manifests.Renderer
	rendererErr  error
)

func cilium(t testing.TB) *manifests.Renderer {
	t.Helper()

	rendererOnce.Do(func() {
		var rd *source.Renderer
		if rd, rendererErr = source.LoadRenderer(context.Background(), "../testdata/charts/cilium-1.18.12.tgz"); rendererErr == nil {
			renderer = rd.Renderer
		}
	})
	require.NoError(t, rendererErr)

	return renderer
}

func description() config.Cluster {
	return config.Cluster{
		Name: "demo", Endpoint: "https://cp.example.com:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0",
		CNI: config.CNI{Name: config.CNINone}, KubeProxyDisabled: true, KubeSpan: true, InstallDisk: "/dev/sda",
	}
}

func spec(t testing.TB, controlPlanes, workers int) cluster.Spec {
	t.Helper()

	s := cluster.Spec{
		Cluster: description(),
		Secrets: secrets(t),
		Layers:  config.Layers{AllNodes: []patches.Patch{patches.MustParse("machine:\n  sysctls:\n    vm.max_map_count: \"262144\"\n")}},
		Cilium: &cluster.Cilium{
			Renderer: cilium(t), CertificatesInCluster: true, Deterministic: true,
			Options: manifests.RenderOptions{Set: []string{"hubble.relay.enabled=true", "hubble.ui.enabled=true"}},
		},
	}

	for i := range controlPlanes {
		s.Nodes = append(s.Nodes, cluster.Node{Name: fmt.Sprintf("cp-%d", i), Role: config.RoleControlPlane,
			Settings: config.NodeSettings{Hostname: fmt.Sprintf("cp-%d", i)}})
	}

	for i := range workers {
		s.Nodes = append(s.Nodes, cluster.Node{Name: fmt.Sprintf("worker-%d", i), Role: config.RoleWorker,
			Settings: config.NodeSettings{Hostname: fmt.Sprintf("worker-%d", i), Labels: map[string]string{"zone": "a"}}})
	}

	return s
}

// TestBuildEqualsTheLibraryByHand: every node's bytes are what the library's functions give when
// called one by one (Generate, RenderCilium, InlineManifest, config.Builder, Encode), and a node
// with its own patches is patched after its settings.
func TestBuildEqualsTheLibraryByHand(t *testing.T) {
	t.Parallel()

	s := spec(t, 2, 2)
	s.Nodes[3].Patches = []patches.Patch{patches.MustParse("machine:\n  sysctls:\n    net.core.somaxconn: \"1024\"\n")}

	res, err := cluster.NewBuilder().Build(context.Background(), s)
	require.NoError(t, err)
	require.Len(t, res.Nodes, 4)
	require.NotNil(t, res.Cilium)

	cfgs, err := config.Generate(s.Cluster, s.Secrets)
	require.NoError(t, err)

	r, err := cilium(t).RenderCilium(context.Background(), "1.37.0", manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true},
		manifests.RenderOptions{Deterministic: true, Set: []string{"hubble.relay.enabled=true", "hubble.ui.enabled=true"}})
	require.NoError(t, err)
	require.Equal(t, r.YAML, res.Cilium.YAML)

	inline, err := patches.InlineManifest(talos.V1_14, "cilium", string(r.YAML))
	require.NoError(t, err)

	layers := s.Layers
	layers.ControlPlane = []patches.Patch{inline}

	roles, err := cfgs.Patch(layers)
	require.NoError(t, err)

	// Each node independently of config.Builder: the role config, then the settings' patch text
	// and the node's patches applied with package patches.
	for i, n := range s.Nodes {
		node, err := roles.Role(n.Role)
		require.NoError(t, err)

		settings, err := n.Settings.Patch(talos.V1_14)
		require.NoError(t, err)

		ps := n.Patches
		if !settings.IsZero() {
			ps = append([]patches.Patch{settings}, ps...)
		}

		if len(ps) > 0 {
			node, err = patches.ApplyProvider(node, ps...)
			require.NoError(t, err)
		}

		want, err := config.Encode(node)
		require.NoError(t, err)

		require.Equal(t, n.Name, res.Nodes[i].Name)
		require.Equal(t, n.Role, res.Nodes[i].Role)
		require.Equal(t, string(want), string(res.Nodes[i].Config), "node %s", n.Name)
	}

	require.Contains(t, string(res.Nodes[3].Config), "net.core.somaxconn")
	require.Contains(t, string(res.Nodes[0].Config), "KubeInlineManifestConfig")
	require.NotContains(t, string(res.Nodes[2].Config), "KubeInlineManifestConfig")
}

// TestBuildMemoises: a Builder renders Cilium and builds the role configs once for any number of
// nodes and of concurrent Builds of the same spec, and again only for what changed.
func TestBuildMemoises(t *testing.T) {
	t.Parallel()

	b := cluster.NewBuilder()
	s := spec(t, 3, 20)

	var (
		wg      sync.WaitGroup
		results [6]*cluster.Result
	)

	for i := range results {
		wg.Go(func() {
			res, err := b.Build(context.Background(), s)
			if err == nil {
				results[i] = res
			}
		})
	}

	wg.Wait()

	for _, res := range results {
		require.NotNil(t, res)
		require.Equal(t, results[0].Nodes, res.Nodes)
	}

	require.Equal(t, cluster.Stats{RoleBuilds: 1, CiliumRenders: 1}, b.Stats())

	// More nodes, same description: nothing is generated or rendered again.
	more := spec(t, 3, 50)
	_, err := b.Build(context.Background(), more)
	require.NoError(t, err)
	require.Equal(t, cluster.Stats{RoleBuilds: 1, CiliumRenders: 1}, b.Stats())

	// Another layer: the role configs again, not Cilium.
	more.Layers.Worker = []patches.Patch{patches.MustParse("machine:\n  sysctls:\n    a: \"1\"\n")}
	_, err = b.Build(context.Background(), more)
	require.NoError(t, err)
	require.Equal(t, cluster.Stats{RoleBuilds: 2, CiliumRenders: 1}, b.Stats())

	// Other values: both.
	more.Cilium.Options.Set = append(more.Cilium.Options.Set, "hubble.ui.replicas=2")
	_, err = b.Build(context.Background(), more)
	require.NoError(t, err)
	require.Equal(t, cluster.Stats{RoleBuilds: 3, CiliumRenders: 2}, b.Stats())

	// The same manifest under another name: another inline layer, so other role configs.
	more.Cilium.ManifestName = "cilium-renamed"
	renamed, err := b.Build(context.Background(), more)
	require.NoError(t, err)
	require.Equal(t, cluster.Stats{RoleBuilds: 4, CiliumRenders: 3}, b.Stats())
	require.Contains(t, string(renamed.Nodes[0].Config), "name: cilium-renamed")
}

// TestBuildProblems: every problem at once, each at its path in the Spec.
func TestBuildProblems(t *testing.T) {
	t.Parallel()

	bad := spec(t, 1, 2)
	bad.Cluster.Endpoint = "cp.example.com:6443"
	bad.Layers.AllNodes = append(bad.Layers.AllNodes, patches.MustParse(`[{"op":"remove","path":"/machine/nope"}]`))
	bad.Nodes[1].Settings.Labels = map[string]string{"bad key!": "x"}
	bad.Nodes[2].Name = "cp-0"

	_, err := cluster.NewBuilder().Build(context.Background(), bad)
	require.Error(t, err)

	paths := func(err error) []string {
		var out []string
		for _, p := range talos.Problems(err) {
			out = append(out, p.Path)
		}

		return out
	}

	// What is seen before generating; the patch is reported once the description is fixed.
	require.Equal(t, []string{"/cluster/endpoint", "/nodes/1/settings/labels/bad key!", "/nodes/2/name"}, paths(err))
	require.ErrorIs(t, err, config.ErrEndpoint)

	bad.Cluster.Endpoint = "https://cp.example.com:6443"
	bad.Nodes[1].Settings.Labels = nil
	bad.Nodes[2].Name = "worker-1"
	bad.Nodes[2].Patches = []patches.Patch{patches.MustParse("machine:\n  sysctls:\n    a: \"1\"\n"), patches.MustParse(`[{"op":"test","path":"/machine/type","value":"controlplane"}]`)}

	_, err = cluster.NewBuilder().Build(context.Background(), bad)
	require.Equal(t, []string{"/layers/allNodes/1"}, paths(err))
	require.ErrorIs(t, err, patches.ErrMissingPath)

	bad.Layers.AllNodes = bad.Layers.AllNodes[:1]

	_, err = cluster.NewBuilder().Build(context.Background(), bad)
	require.Equal(t, []string{"/nodes/2/patches/1"}, paths(err))
	require.ErrorIs(t, err, patches.ErrTestFailed)

	flannel := spec(t, 1, 0)
	flannel.Cluster.CNI = config.CNI{}
	flannel.Secrets = nil
	_, err = cluster.NewBuilder().Build(context.Background(), flannel)
	require.Equal(t, []string{"/secrets", "/cluster/cni/name"}, paths(err))
	require.ErrorIs(t, err, config.ErrNoSecrets)
}

// TestBuildRefusesHelmCertificates: Hubble's certificates made by Helm at render time are key
// material that changes on every run; with Deterministic the build fails at /cilium, naming the
// Secrets.
func TestBuildRefusesHelmCertificates(t *testing.T) {
	t.Parallel()

	s := spec(t, 1, 1)
	s.Cilium.CertificatesInCluster = false

	_, err := cluster.NewBuilder().Build(context.Background(), s)
	require.ErrorIs(t, err, manifests.ErrNondeterministic)

	ps := talos.Problems(err)
	require.Len(t, ps, 1)
	require.Equal(t, "/cilium", ps[0].Path)

	var nd *manifests.NondeterministicError
	require.True(t, errors.As(ps[0].Err, &nd))
	require.ErrorContains(t, err, "Secret kube-system/hubble-server-certs")
}
