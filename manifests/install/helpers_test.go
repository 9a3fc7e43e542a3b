package install_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/talospatch/talospatch/manifests/source"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/goldenfile"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// chartsDir is testdata/charts at the repository root (see testdata/README.md).
const chartsDir = "../../testdata/charts"

// secretsPath is the shared secrets bundle at the repository root (testdata/bench).
const secretsPath = "../../testdata/bench/secrets.yaml"

// srcChart is the path of a shipped Cilium chart archive.
func srcChart(version string) string {
	return filepath.Join(chartsDir, "cilium-"+version+".tgz")
}

// v114 is the cluster most tests use: contract v1.14, Kubernetes 1.37.0, kube-proxy running,
// KubePrism at its default, Talos's default CNI.
func v114() config.Cluster {
	return config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0"}
}

// v113 is a cluster on contract v1.13 (the last contract of cluster.inlineManifests and of the
// CNI and kube-proxy settings in the v1alpha1 document), Kubernetes 1.36.0.
func v113() config.Cluster {
	return config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_13, KubernetesVersion: "1.36.0"}
}

// noProxy returns c with kube-proxy disabled.
func noProxy(c config.Cluster) config.Cluster {
	c.KubeProxyDisabled = true
	return c
}

var (
	renderersMu sync.Mutex
	renderers   = map[string]func() (*manifests.Renderer, error){}
)

// renderer returns the Renderer of a shipped chart, loaded once per test binary (a Renderer is
// safe for concurrent use).
func renderer(t testing.TB, version string) *manifests.Renderer {
	t.Helper()

	renderersMu.Lock()
	load, ok := renderers[version]
	if !ok {
		load = sync.OnceValues(func() (*manifests.Renderer, error) {
			rd, err := source.LoadRenderer(context.Background(), srcChart(version))
			if err != nil {
				return nil, err
			}

			return rd.Renderer, nil
		})
		renderers[version] = load
	}
	renderersMu.Unlock()

	rd, err := load()
	require.NoError(t, err, "chart fixture %s (testdata/charts at the repository root)", srcChart(version))

	return rd
}

var renders sync.Map // key → func() (*manifests.Rendered, error)

// render renders a shipped Cilium chart for the cluster c with install.RenderCilium. Equal
// arguments share one render per test binary: callers must not modify the result (copy it,
// as the tests that edit its YAML do).
func render(t testing.TB, c config.Cluster, version string, copts manifests.CiliumOptions, ropts manifests.RenderOptions) *manifests.Rendered {
	t.Helper()

	rd := renderer(t, version)
	key := fmt.Sprintf("%s|%#v|%#v|%#v", version, c, copts, ropts)
	once, _ := renders.LoadOrStore(key, sync.OnceValues(func() (*manifests.Rendered, error) {
		return install.RenderCilium(context.Background(), rd, c, copts, ropts)
	}))

	r, err := once.(func() (*manifests.Rendered, error))()
	require.NoError(t, err)

	return r
}

// methodGolden compares got with the golden file testdata/golden/name (go test -update rewrites it).
func methodGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", name), got)
}

var loadSecrets = sync.OnceValues(func() (*config.Secrets, error) {
	data, err := os.ReadFile(secretsPath)
	if err != nil {
		return nil, err
	}

	return config.LoadSecrets(data)
})

// configs generates the role configs of cluster c with the shared secrets bundle.
func configs(t testing.TB, c config.Cluster) config.Configs {
	t.Helper()

	s, err := loadSecrets()
	require.NoError(t, err)

	cfgs, err := config.Generate(c, s)
	require.NoError(t, err)

	return cfgs
}

// encodeConfigs returns the encoded control-plane and worker configs.
func encodeConfigs(t testing.TB, cfgs config.Configs) (cp, worker []byte) {
	t.Helper()

	cp, err := config.Encode(cfgs.ControlPlane)
	require.NoError(t, err)

	worker, err = config.Encode(cfgs.Worker)
	require.NoError(t, err)

	return cp, worker
}

// patchTexts returns the --config-patch texts of ps.
func patchTexts(ps []patches.Patch) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}

	return out
}

// layerTexts are the texts of the patches of layers, by layer, for comparing with cmp.Diff.
type layerTexts struct {
	AllNodes, ControlPlane, Worker []string
}

func textsOf(l config.Layers) layerTexts {
	return layerTexts{AllNodes: patchTexts(l.AllNodes), ControlPlane: patchTexts(l.ControlPlane), Worker: patchTexts(l.Worker)}
}

// must returns the patch of a recipe that cannot fail on its arguments; it panics on error.
func must(p patches.Patch, err error) patches.Patch {
	if err != nil {
		panic(err)
	}

	return p
}
