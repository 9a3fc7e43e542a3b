package config_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

var issued = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// TestGolden pins the encoded output of a few clusters, with and without comments.
func TestGolden(t *testing.T) {
	t.Parallel()

	s := loadBench(t)

	single := demo()
	single.Contract = talos.V1_11
	single.KubernetesVersion = "1.34.1"

	full := demo()
	full.CNI = config.CNI{Name: config.CNICustom, URLs: []string{"https://example.com/cni.yaml"}}
	full.KubePrism = config.KubePrism{Port: 7446}
	full.InstallDisk = "/dev/vda"
	full.InstallImage = "ghcr.io/siderolabs/installer:v1.13.0"
	full.ExtraCertSANs = []string{"cp.example.com"}
	full.PodSubnets = []string{"10.100.0.0/16"}
	full.ServiceSubnets = []string{"10.200.0.0/16"}
	full.DNSDomain = "corp.internal"

	demoV114 := demo()
	demoV114.Contract, demoV114.KubernetesVersion, demoV114.KubeSpan = talos.V1_14, "1.37.0", true

	fullV114 := full
	fullV114.Contract, fullV114.KubernetesVersion = talos.V1_14, "1.37.0"

	for _, tc := range []struct {
		name    string
		cluster config.Cluster
	}{
		{"demo-v1.13", demo()},
		{"demo-v1.11", single},
		{"full-v1.13", full},
		{"demo-v1.14", demoV114},
		{"full-v1.14", fullV114},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			cfgs, err := config.Generate(tc.cluster, s)
			require.NoError(t, err)

			for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
				cfg, err := cfgs.Role(role)
				require.NoError(t, err)

				compact, err := config.Encode(cfg)
				require.NoError(t, err)
				golden(t, tc.name+"/"+role.String()+".yaml", compact)

				if tc.name == "demo-v1.13" {
					commented, err := config.EncodeWithComments(cfg)
					require.NoError(t, err)
					golden(t, tc.name+"/"+role.String()+".commented.yaml", commented)
				}
			}

			tcfg, err := config.Talosconfig(tc.cluster, s, issued)
			require.NoError(t, err)

			out, err := config.EncodeTalosconfig(tcfg)
			require.NoError(t, err)
			golden(t, tc.name+"/talosconfig", out)
		})
	}
}

// TestDeterministic: the same inputs give the same bytes, also from separately loaded secrets.
func TestDeterministic(t *testing.T) {
	t.Parallel()

	encodeAll := func(s *config.Secrets) []byte {
		cfgs, err := config.Generate(demo(), s)
		require.NoError(t, err)

		cp, err := config.Encode(cfgs.ControlPlane)
		require.NoError(t, err)

		w, err := config.Encode(cfgs.Worker)
		require.NoError(t, err)

		tc, err := config.Talosconfig(demo(), s, issued)
		require.NoError(t, err)

		tb, err := config.EncodeTalosconfig(tc)
		require.NoError(t, err)

		return bytes.Join([][]byte{cp, w, tb}, []byte("\n#####\n"))
	}

	s := loadBench(t)
	first := encodeAll(s)

	for range 3 {
		require.Equal(t, string(first), string(encodeAll(s)))
	}

	require.Equal(t, string(first), string(encodeAll(loadBench(t))))
}

// TestTalosconfigDependsOnInputs: a different issue time or cluster gives a different client
// certificate and key; the CA stays the same.
func TestTalosconfigDependsOnInputs(t *testing.T) {
	t.Parallel()

	s := loadBench(t)

	base, err := config.Talosconfig(demo(), s, issued)
	require.NoError(t, err)

	later, err := config.Talosconfig(demo(), s, issued.Add(time.Hour))
	require.NoError(t, err)

	other := demo()
	other.Name = "other"
	renamed, err := config.Talosconfig(other, s, issued)
	require.NoError(t, err)

	b, l, r := base.Contexts["demo"], later.Contexts["demo"], renamed.Contexts["other"]
	require.Equal(t, b.CA, l.CA)
	require.Equal(t, b.CA, r.CA)
	require.NotEqual(t, b.Key, l.Key)
	require.NotEqual(t, b.Crt, l.Crt)
	require.NotEqual(t, b.Key, r.Key)

	_, err = config.Talosconfig(demo(), s, time.Time{})
	require.ErrorIs(t, err, config.ErrInvalid)
}

// TestInputsNotModified: Generate leaves the cluster and the secrets as they were, and the
// configs it returns do not share memory with the secrets.
func TestInputsNotModified(t *testing.T) {
	t.Parallel()

	s := loadBench(t)
	before, err := s.Marshal()
	require.NoError(t, err)

	c := demo()
	c.ExtraCertSANs = []string{"a.example.com"}
	c.PodSubnets = []string{"10.100.0.0/16"}
	snapshot := demo()
	snapshot.ExtraCertSANs = []string{"a.example.com"}
	snapshot.PodSubnets = []string{"10.100.0.0/16"}

	cfgs, err := config.Generate(c, s)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(snapshot, c))

	// Scribble over the generated config's secrets.
	raw := cfgs.ControlPlane.(*container.Container).RawV1Alpha1()
	raw.MachineConfig.MachineCA.Crt[0] = 'X'
	raw.MachineConfig.MachineCA.Key = nil
	raw.ClusterConfig.ClusterCA.Key[0] = 'X'

	after, err := s.Marshal()
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "secrets changed through a generated config")

	// And Bundle() hands out a copy.
	b := s.Bundle()
	b.Cluster.ID = "changed"
	b.Certs.OS.Key[0] = 'X'
	require.NotEqual(t, "changed", s.ClusterID())

	again, err := s.Marshal()
	require.NoError(t, err)
	require.Equal(t, string(before), string(again))
}

// TestBadInput: every kind of bad input is an error matching its sentinel and naming the field,
// and there is no output.
func TestBadInput(t *testing.T) {
	t.Parallel()

	s := loadBench(t)

	for _, tc := range []struct {
		name    string
		mutate  func(*config.Cluster)
		secrets *config.Secrets
		want    error
		path    string
		text    string
	}{
		{"empty name", func(c *config.Cluster) { c.Name = "" }, s, config.ErrNoName, "/name", ""},
		{"blank name", func(c *config.Cluster) { c.Name = "  " }, s, config.ErrNoName, "/name", ""},
		{"no endpoint", func(c *config.Cluster) { c.Endpoint = "" }, s, config.ErrEndpoint, "/endpoint", ""},
		{"endpoint without scheme", func(c *config.Cluster) { c.Endpoint = "10.5.0.2:6443" }, s, config.ErrEndpoint, "/endpoint", `fix: "https://10.5.0.2:6443"`},
		{"endpoint with port 0", func(c *config.Cluster) { c.Endpoint = "https://cp.example.com:0" }, s, config.ErrEndpoint, "/endpoint", `fix: "https://cp.example.com:6443"`},
		{"endpoint http", func(c *config.Cluster) { c.Endpoint = "http://10.5.0.2:6443" }, s, config.ErrEndpoint, "/endpoint", `fix: "https://10.5.0.2:6443"`},
		{"endpoint with path", func(c *config.Cluster) { c.Endpoint = "https://10.5.0.2:6443/api" }, s, config.ErrEndpoint, "/endpoint", `fix: "https://10.5.0.2:6443"`},
		{"endpoint bad port", func(c *config.Cluster) { c.Endpoint = "https://10.5.0.2:99999" }, s, config.ErrEndpoint, "/endpoint", `fix: "https://10.5.0.2:6443"`},
		{"endpoint ipv6 unbracketed", func(c *config.Cluster) { c.Endpoint = "2001:db8::1" }, s, config.ErrEndpoint, "/endpoint", ""},
		{"endpoint garbage", func(c *config.Cluster) { c.Endpoint = "https://" }, s, config.ErrEndpoint, "/endpoint", ""},
		{"no contract", func(c *config.Cluster) { c.Contract = 0 }, s, config.ErrNoContract, "/contract", "talos.V1_14"},
		{"invalid contract", func(c *config.Cluster) { c.Contract = talos.Contract(99) }, s, config.ErrUnknownContract, "/contract", "v1.0 to v1.14"},
		{"kubernetes version", func(c *config.Cluster) { c.KubernetesVersion = "1.36" }, s, config.ErrKubernetesVersion, "/kubernetesVersion", ""},
		{"kubernetes version text", func(c *config.Cluster) { c.KubernetesVersion = "latest" }, s, config.ErrKubernetesVersion, "/kubernetesVersion", ""},
		{"no kubernetes version", func(c *config.Cluster) { c.KubernetesVersion = "" }, s, config.ErrKubernetesVersion, "/kubernetesVersion", `"1.36.0", the default of Talos v1.13`},
		{"kubernetes 1.38.0 on v1.14", func(c *config.Cluster) { c.Contract, c.KubernetesVersion = talos.V1_14, "1.38.0" }, s, config.ErrKubernetesVersion, "/kubernetesVersion", "supports Kubernetes 1.32.0 to 1.37.x"},
		{"kubernetes 1.31.0 on v1.14", func(c *config.Cluster) { c.Contract, c.KubernetesVersion = talos.V1_14, "1.31.0" }, s, config.ErrKubernetesVersion, "/kubernetesVersion", `"1.37.0", the default of Talos v1.14`},
		{"no kubernetes version on v1.14", func(c *config.Cluster) { c.Contract, c.KubernetesVersion = talos.V1_14, "" }, s, config.ErrKubernetesVersion, "/kubernetesVersion", "required"},
		{"kubernetes too new for v1.13", func(c *config.Cluster) { c.KubernetesVersion = "1.37.0" }, s, config.ErrKubernetesVersion, "/kubernetesVersion", "allowUnsupportedKubernetes"},
		{"nil secrets", func(*config.Cluster) {}, nil, config.ErrNoSecrets, "", ""},
		{"empty secrets", func(*config.Cluster) {}, &config.Secrets{}, config.ErrNoSecrets, "", ""},
		{"custom cni without urls", func(c *config.Cluster) { c.CNI = config.CNI{Name: config.CNICustom} }, s, config.ErrCNI, "/cni/urls", ""},
		{"urls with cni none", func(c *config.Cluster) { c.CNI.URLs = []string{"https://example.com/cni.yaml"} }, s, config.ErrCNI, "/cni/urls", `cni.name "custom"`},
		{"urls with default cni", func(c *config.Cluster) { c.CNI = config.CNI{URLs: []string{"https://example.com/cni.yaml"}} }, s, config.ErrCNI, "/cni/urls", ""},
		{"bad cni url", func(c *config.Cluster) { c.CNI = config.CNI{Name: config.CNICustom, URLs: []string{"cni.yaml"}} }, s, config.ErrCNI, "/cni/urls/0", ""},
		{"unknown cni", func(c *config.Cluster) { c.CNI = config.CNI{Name: config.CNIName(42)} }, s, config.ErrCNI, "/cni/name", ""},
		{"pod subnet", func(c *config.Cluster) { c.PodSubnets = []string{"10.244.0.0"} }, s, config.ErrInvalid, "/podSubnets/0", ""},
		{"service subnet host bits", func(c *config.Cluster) { c.ServiceSubnets = []string{"10.96.0.1/12"} }, s, config.ErrInvalid, "/serviceSubnets/0", `fix: "10.96.0.0/12"`},
		{"kubeprism port", func(c *config.Cluster) { c.KubePrism.Port = 70000 }, s, config.ErrInvalid, "/kubePrism/port", ""},
		{"kubeprism port before v1.5", func(c *config.Cluster) {
			c.Contract, c.KubernetesVersion, c.KubePrism.Port = talos.V1_4, "1.27.0", 7446
		}, s, config.ErrInvalid, "/kubePrism/port", "contract v1.5 or later"},
		{"kubeprism disabled with port", func(c *config.Cluster) { c.KubePrism = config.KubePrism{Disabled: true, Port: 7445} }, s, config.ErrInvalid, "/kubePrism/port", ""},
		{"empty san", func(c *config.Cluster) { c.ExtraCertSANs = []string{""} }, s, config.ErrInvalid, "/extraCertSANs/0", ""},
		{"dns domain", func(c *config.Cluster) { c.DNSDomain = "cluster.local." }, s, config.ErrInvalid, "/dnsDomain", ""},
		{"talos endpoint", func(c *config.Cluster) { c.TalosEndpoints = []string{"https://10.5.0.2"} }, s, config.ErrInvalid, "/talosEndpoints/0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			c := demo()
			tc.mutate(&c)

			cfgs, err := config.Generate(c, tc.secrets)
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, config.Configs{}, cfgs, "no output on error")

			if tc.path != "" {
				require.Equal(t, []string{tc.path}, fieldPaths(err), "every error names its field; err: %v", err)
			}

			if tc.text != "" {
				require.ErrorContains(t, err, tc.text)
			}

			cfg, err := config.RoleConfig(c, tc.secrets, config.RoleWorker)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, cfg)

			tcfg, err := config.Talosconfig(c, tc.secrets, issued)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, tcfg)
		})
	}
}

// TestAllProblemsAtOnce: one call reports every problem.
func TestAllProblemsAtOnce(t *testing.T) {
	t.Parallel()

	c := config.Cluster{
		Endpoint:          "10.5.0.2",
		KubernetesVersion: "one",
		CNI:               config.CNI{Name: config.CNICustom},
	}

	_, err := config.Generate(c, nil)
	require.Error(t, err)

	for _, want := range []error{config.ErrNoName, config.ErrEndpoint, config.ErrNoContract, config.ErrKubernetesVersion, config.ErrCNI, config.ErrNoSecrets} {
		require.ErrorIs(t, err, want)
	}

	require.Equal(t, []string{"/name", "/endpoint", "/contract", "/kubernetesVersion", "/cni/urls"}, fieldPaths(err))
	require.NotContains(t, err.Error(), "\n\n")
}

func fieldPaths(err error) []string {
	var paths []string

	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*talos.FieldError); ok {
			paths = append(paths, strings.TrimSpace(fe.Document.String()+" "+fe.Path))

			return
		}

		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)

	return paths
}

// TestGeneratedConfigsLoad: the encoded configs load back with machinery's configloader and
// encode to the same bytes.
func TestGeneratedConfigsLoad(t *testing.T) {
	t.Parallel()

	s := loadBench(t)

	for _, cc := range contractCases {
		t.Run(cc.contract, func(t *testing.T) {
			t.Parallel()

			c := demo()
			c.Contract, c.KubernetesVersion = talos.MustParseContract(cc.contract), cc.kubernetes

			cfgs, err := config.Generate(c, s)
			require.NoError(t, err)

			for _, cfg := range []coreconfig.Provider{cfgs.ControlPlane, cfgs.Worker} {
				out, err := config.Encode(cfg)
				require.NoError(t, err)

				loaded, err := configloader.NewFromBytes(out)
				require.NoError(t, err)

				again, err := config.Encode(loaded)
				require.NoError(t, err)
				require.Equal(t, string(out), string(again))
			}

			out, err := config.Encode(cfgs.ControlPlane)
			require.NoError(t, err)

			docs := strings.Count(string(out), "\n---\n") + 1

			switch cc.contract {
			case "v1.12", "v1.13":
				require.Equal(t, 2, docs, "v1alpha1 + HostnameConfig")
			case "v1.14":
				require.Equal(t, 27, docs, "the 28 documents of a v1.14 control plane without the flannel document")
			default:
				require.Equal(t, 1, docs)
			}
		})
	}
}

func TestRoleText(t *testing.T) {
	t.Parallel()

	for _, r := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
		text, err := r.MarshalText()
		require.NoError(t, err)

		var back config.Role
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, r, back)
	}

	_, err := config.RoleUnknown.MarshalText()
	require.ErrorIs(t, err, config.ErrInvalid)

	var r config.Role
	require.ErrorIs(t, r.UnmarshalText([]byte("master")), config.ErrInvalid)
}

func TestEncodeNil(t *testing.T) {
	t.Parallel()

	_, err := config.Encode(nil)
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = config.EncodeWithComments(nil)
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = config.EncodeTalosconfig(nil)
	require.ErrorIs(t, err, config.ErrInvalid)
}

// TestConcurrentUse: a *Secrets and a Cluster are shared by concurrent generations (run with
// -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()

	s := loadBench(t)
	c := demo()

	want := mustEncodeProvider(t, mustGenerate(t, c, s).ControlPlane)

	results := make(chan string, 8)

	for range cap(results) {
		go func() {
			cfgs, err := config.Generate(c, s)
			if err != nil {
				results <- err.Error()

				return
			}

			if _, err := config.Talosconfig(c, s, issued); err != nil {
				results <- err.Error()

				return
			}

			out, err := config.Encode(cfgs.ControlPlane)
			if err != nil {
				results <- err.Error()

				return
			}

			results <- string(out)
		}()
	}

	for range cap(results) {
		require.Equal(t, want, <-results)
	}
}

func mustGenerate(t *testing.T, c config.Cluster, s *config.Secrets) config.Configs {
	t.Helper()

	cfgs, err := config.Generate(c, s)
	require.NoError(t, err)

	return cfgs
}

// TestEndpointWithoutPort: like talosctl gen config, an https:// endpoint without a port is
// taken as it is (port 443, a load balancer), and the configs validate.
func TestEndpointWithoutPort(t *testing.T) {
	t.Parallel()

	c := demo()
	c.Contract, c.KubernetesVersion, c.Endpoint = talos.V1_14, "1.37.0", "https://k8s.example.com"

	cfgs, err := config.Generate(c, loadBench(t))
	require.NoError(t, err)
	require.Equal(t, "https://k8s.example.com", cfgs.Worker.K8sClusterConfig().ClusterEndpoint().String())

	for _, cfg := range []coreconfig.Provider{cfgs.ControlPlane, cfgs.Worker} {
		_, err := config.Validate(cfg, config.ModeContainer)
		require.NoError(t, err)
	}
}
