package apply_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/apply"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// editConfigs generates one control-plane and one worker config of a cluster on contract.
func editConfigs(t *testing.T, contract talos.Contract) (cp, worker []byte) {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bench", "secrets.yaml"))
	require.NoError(t, err)
	s, err := config.LoadSecrets(data)
	require.NoError(t, err)

	k8s := "1.37.0"
	if contract < talos.V1_14 {
		k8s = "1.36.0"
	}

	cfgs, err := config.Generate(config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: contract, KubernetesVersion: k8s}, s)
	require.NoError(t, err)
	cp, err = config.Encode(cfgs.ControlPlane)
	require.NoError(t, err)
	worker, err = config.Encode(cfgs.Worker)
	require.NoError(t, err)

	return cp, worker
}

// withInline returns cfg with inline manifests name -> contents, in the contract's form.
func withInline(t *testing.T, contract talos.Contract, cfg []byte, named ...string) []byte {
	t.Helper()

	for i := 0; i < len(named); i += 2 {
		p, err := patches.InlineManifest(contract, named[i], named[i+1])
		require.NoError(t, err)
		cfg, err = patches.Apply(cfg, p)
		require.NoError(t, err)
	}

	return cfg
}

const (
	editNamespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"
	editConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: demo\ndata:\n  mode: tunnel\n  mtu: \"1450\"\n"
	editDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: demo
spec:
  template:
    spec:
      containers:
        - name: agent
          image: example.com/agent:v1
          args: ["--a"]
`
	editRole = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: agent\nrules: []\n"
)

func TestCompareConfigs(t *testing.T) {
	t.Parallel()

	for _, contract := range []talos.Contract{talos.V1_13, talos.V1_14} {
		t.Run(contract.String(), func(t *testing.T) {
			t.Parallel()

			cp, worker := editConfigs(t, contract)
			before := withInline(t, contract, cp,
				"base", editNamespace+"---\n"+editConfigMap,
				"agent", editDaemonSet+"---\n"+editRole)

			// The edit: the ConfigMap changes a value, loses one and gains one; the DaemonSet's
			// image changes and it gains an argument; the ClusterRole leaves; a Service arrives
			// in a new manifest; the Namespace moves to that manifest unchanged.
			configMap := strings.Replace(editConfigMap, "mode: tunnel\n  mtu: \"1450\"", "mode: native\n  routing: direct", 1)
			daemonSet := strings.Replace(strings.Replace(editDaemonSet, "agent:v1", "agent:v2", 1), `["--a"]`, `["--a", "--b"]`, 1)
			service := "apiVersion: v1\nkind: Service\nmetadata:\n  name: agent\n  namespace: demo\nspec:\n  ports: [{port: 80}]\n"
			after := withInline(t, contract, cp,
				"base", configMap,
				"agent", daemonSet,
				"extra", editNamespace+"---\n"+service)

			edit, err := apply.CompareConfigs(
				[]install.NodeConfig{{Name: "cp-1", Config: before}, {Name: "w-1", Config: worker}, {Name: "cp-2", Config: before}},
				[]install.NodeConfig{{Name: "cp-1", Config: after}, {Name: "cp-2", Config: after}},
			)
			require.NoError(t, err)

			var got []string
			for _, c := range edit.Objects {
				got = append(got, c.String())
			}

			require.Equal(t, []string{
				"update v1 ConfigMap demo/settings (manifest base)\n" +
					`    ~ /data/mode: "tunnel" -> "native"` + "\n" +
					`    - /data/mtu: "1450"` + "\n" +
					`    + /data/routing: "direct"`,
				"update apps/v1 DaemonSet demo/agent (manifest agent)\n" +
					`    + /spec/template/spec/containers/0/args/1: "--b"` + "\n" +
					`    ~ /spec/template/spec/containers/0/image: "example.com/agent:v1" -> "example.com/agent:v2"`,
				"unchanged v1 Namespace demo (manifest extra)",
				"create v1 Service demo/agent (manifest extra)",
				"prune rbac.authorization.k8s.io/v1 ClusterRole agent (manifest agent)",
			}, got)

			var toSync []string
			for _, obj := range edit.After() {
				toSync = append(toSync, manifests.RefOf(obj).String())
			}
			require.Equal(t, []string{"v1 ConfigMap demo/settings", "apps/v1 DaemonSet demo/agent", "v1 Namespace demo", "v1 Service demo/agent"}, toSync,
				"the objects to sync: everything after the edit, nothing pruned")

			require.True(t, edit.Changed())
			require.Equal(t, 1, edit.Count(apply.ActionCreate))
			require.Equal(t, 2, edit.Count(apply.ActionUpdate))
			require.Equal(t, 1, edit.Count(apply.ActionUnchanged))
			require.Equal(t, 1, edit.Count(apply.ActionPrune))
			require.True(t, strings.HasSuffix(edit.String(), "\n1 to create, 2 to update, 1 to prune, 1 unchanged"), edit.String())
			require.NotContains(t, edit.String(), "Namespace", "unchanged objects are only counted")

			same, err := apply.CompareConfigs([]install.NodeConfig{{Name: "cp-1", Config: after}}, []install.NodeConfig{{Name: "cp-1", Config: after}})
			require.NoError(t, err)
			require.False(t, same.Changed())
			require.Equal(t, 4, same.Count(apply.ActionUnchanged))
		})
	}
}

func TestCompareConfigsRefuses(t *testing.T) {
	t.Parallel()

	cp, worker := editConfigs(t, talos.V1_14)
	before := withInline(t, talos.V1_14, cp, "base", editConfigMap)
	after := withInline(t, talos.V1_14, cp, "base", strings.Replace(editConfigMap, "tunnel", "native", 1))
	nc := func(name string, cfg []byte) install.NodeConfig {
		return install.NodeConfig{Name: name, Config: cfg}
	}

	// Only one of two control planes got the edit: the guide says edit all of them first.
	_, err := apply.CompareConfigs([]install.NodeConfig{nc("cp-1", before), nc("cp-2", before)}, []install.NodeConfig{nc("cp-1", after), nc("cp-2", before)})
	require.ErrorIs(t, err, install.ErrInlineMismatch)
	require.ErrorContains(t, err, "after the edit")
	require.ErrorContains(t, err, "cp-2: base different contents")

	_, err = apply.CompareConfigs([]install.NodeConfig{nc("w-1", worker)}, []install.NodeConfig{nc("cp-1", after)})
	require.ErrorIs(t, err, apply.ErrNoControlPlane)
	require.ErrorContains(t, err, "before the edit")

	dup := withInline(t, talos.V1_14, cp, "base", editConfigMap, "again", editConfigMap)
	_, err = apply.CompareConfigs([]install.NodeConfig{nc("cp-1", before)}, []install.NodeConfig{nc("cp-1", dup)})
	require.ErrorIs(t, err, apply.ErrDuplicateObject)
	require.ErrorContains(t, err, "v1 ConfigMap demo/settings in inline manifests")

	bad := withInline(t, talos.V1_14, cp, "base", "kind: ConfigMap\n")
	_, err = apply.CompareConfigs([]install.NodeConfig{nc("cp-1", bad)}, []install.NodeConfig{nc("cp-1", after)})
	require.ErrorIs(t, err, manifests.ErrInvalidObject)
	require.ErrorContains(t, err, "inline manifest base")
}

// TestCompareConfigsCiliumUpgrade moves Cilium from 1.18.12 to 1.19.6 in both forms: every object
// of either render is accounted for exactly once, and the images change.
func TestCompareConfigsCiliumUpgrade(t *testing.T) {
	t.Parallel()

	render := func(version string) string {
		chrt, err := loader.Load(filepath.Join(chartsDir(t), "cilium-"+version+".tgz"))
		require.NoError(t, err)
		r, err := manifests.RenderCilium(context.Background(), chrt, "v1.37.0", manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
		require.NoError(t, err)

		return string(r.YAML)
	}

	old, updated := render("1.18.12"), render("1.19.6")

	for _, contract := range []talos.Contract{talos.V1_13, talos.V1_14} {
		cp, _ := editConfigs(t, contract)
		before := withInline(t, contract, cp, "cilium", old)
		after := withInline(t, contract, cp, "cilium", updated)

		edit, err := apply.CompareConfigs([]install.NodeConfig{{Name: "cp", Config: before}}, []install.NodeConfig{{Name: "cp", Config: after}})
		require.NoError(t, err)

		oldObjs, err := manifests.ParseObjects([]byte(old))
		require.NoError(t, err)
		newObjs, err := manifests.ParseObjects([]byte(updated))
		require.NoError(t, err)

		require.Equal(t, len(newObjs), edit.Count(apply.ActionCreate)+edit.Count(apply.ActionUpdate)+edit.Count(apply.ActionUnchanged), "every object after the edit once")
		require.Equal(t, len(oldObjs), edit.Count(apply.ActionPrune)+edit.Count(apply.ActionUpdate)+edit.Count(apply.ActionUnchanged), "every object before the edit once")

		images := 0
		for _, c := range edit.Objects {
			require.NotEqual(t, apply.ActionUnknown, c.Action)
			if c.Action == apply.ActionUpdate {
				require.NotEmpty(t, c.Fields, c.Ref.String())
			}
			for _, f := range c.Fields {
				if strings.HasSuffix(f.Path, "/image") && strings.Contains(f.String(), "v1.19.6") {
					images++
				}
			}
		}
		require.Positive(t, images, "the agent and operator images move to v1.19.6")
		if testing.Verbose() && contract == talos.V1_14 {
			t.Log(edit.String())
		}
		t.Logf("%s: %d to create, %d to update, %d to prune, %d unchanged", contract,
			edit.Count(apply.ActionCreate), edit.Count(apply.ActionUpdate), edit.Count(apply.ActionPrune), edit.Count(apply.ActionUnchanged))
	}
}
