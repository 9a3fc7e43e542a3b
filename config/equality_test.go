package config_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	machineapi "github.com/siderolabs/talos/pkg/machinery/api/machine"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/compatibility"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/bundle"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// contractCases are the contracts the equality test covers, each with a Kubernetes version
// that Talos release supported.
var contractCases = []struct {
	contract   string
	kubernetes string
}{
	{"v1.0", "1.23.6"},
	{"v1.3", "1.26.1"},
	{"v1.7", "1.30.3"},
	{"v1.11", "1.34.1"},
	{"v1.12", "1.35.0"},
	{"v1.13", "1.36.0"},
	{"v1.14", "1.37.0"},
}

// TestContractCasesSupported: each Kubernetes version of contractCases is one that Talos
// release supports, per machinery's compatibility tables (they start at Talos 1.2; Talos 1.0
// shipped Kubernetes 1.23), and per package talos's table, which must agree with machinery.
func TestContractCasesSupported(t *testing.T) {
	t.Parallel()

	for _, cc := range contractCases {
		require.True(t, talos.MustParseContract(cc.contract).Kubernetes().Contains(cc.kubernetes), cc.contract)

		if cc.contract == "v1.0" {
			continue
		}

		k8s, err := compatibility.ParseKubernetesVersion(cc.kubernetes)
		require.NoError(t, err)

		talosVersion, err := compatibility.ParseTalosVersion(&machineapi.VersionInfo{Tag: cc.contract + ".0"})
		require.NoError(t, err)

		require.NoError(t, k8s.SupportedWith(talosVersion), "%s with Kubernetes %s", cc.contract, cc.kubernetes)
	}
}

// TestKubernetesRangesMatchMachinery: package talos's supported range of every contract from
// v1.2 is exactly machinery's compatibility table: its oldest version is supported and the one
// before is not; every patch of its newest minor is supported and the next minor is not.
func TestKubernetesRangesMatchMachinery(t *testing.T) {
	t.Parallel()

	for c := talos.V1_2; c <= talos.Newest; c++ {
		r := c.Kubernetes()

		talosVersion, err := compatibility.ParseTalosVersion(&machineapi.VersionInfo{Tag: c.String() + ".0"})
		require.NoError(t, err)

		oldest, err := talos.ParseKubernetesVersion(r.Oldest)
		require.NoError(t, err)

		newest, err := talos.ParseKubernetesVersion(r.Newest + ".0")
		require.NoError(t, err)

		for v, want := range map[string]bool{
			r.Oldest: true,
			fmt.Sprintf("%d.%d.99", oldest.Major, oldest.Minor-1): false,
			r.Newest + ".0":  true,
			r.Newest + ".42": true,
			fmt.Sprintf("%d.%d.0", newest.Major, newest.Minor+1): false,
		} {
			k8s, err := compatibility.ParseKubernetesVersion(v)
			require.NoError(t, err)

			require.Equal(t, want, k8s.SupportedWith(talosVersion) == nil, "machinery: %s with Kubernetes %s", c, v)
			require.Equal(t, want, r.Contains(v), "talos table: %s with Kubernetes %s", c, v)
		}
	}
}

// settingsCase is a cluster description and the talosctl gen config invocation that means the
// same: machinery generate options for talosctl's flags, and the patches a talosctl user
// writes for what talosctl has no flag for, in the contract's form (--config-patch for all
// nodes, --config-patch-control-plane for the control plane).
type settingsCase struct {
	name    string
	cluster func(contract talos.Contract, kubernetes string) config.Cluster
	options func(contract talos.Contract) []generate.Option
	patches func(contract talos.Contract) (all, controlPlane []string)
}

const (
	deleteFlannel = "apiVersion: v1alpha1\nkind: KubeFlannelCNIConfig\n$patch: delete\n"
	noKubeProxy   = "apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n"
)

func noOptions(talos.Contract) []generate.Option { return nil }

func noPatches(talos.Contract) (all, controlPlane []string) { return nil, nil }

var settingsCases = []settingsCase{
	{
		name: "defaults",
		cluster: func(contract talos.Contract, kubernetes string) config.Cluster {
			return config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: contract, KubernetesVersion: kubernetes}
		},
		options: noOptions,
		patches: noPatches,
	},
	{
		name: "cilium-ready",
		cluster: func(contract talos.Contract, kubernetes string) config.Cluster {
			return config.Cluster{
				Name: "cilium", Endpoint: "https://cp.example.com:6443", Contract: contract, KubernetesVersion: "v" + kubernetes,
				CNI: config.CNI{Name: config.CNINone}, KubeProxyDisabled: true,
				TalosEndpoints: []string{"10.5.0.2", "10.5.0.3"},
			}
		},
		options: func(talos.Contract) []generate.Option {
			return []generate.Option{generate.WithEndpointList([]string{"10.5.0.2", "10.5.0.3"})}
		},
		patches: func(contract talos.Contract) (all, controlPlane []string) {
			if contract >= talos.V1_14 {
				return []string{deleteFlannel}, []string{noKubeProxy}
			}

			return []string{"cluster:\n  network:\n    cni:\n      name: none\n  proxy:\n    disabled: true\n"}, nil
		},
	},
	{
		name: "everything",
		cluster: func(contract talos.Contract, kubernetes string) config.Cluster {
			var prism config.KubePrism
			if contract >= talos.V1_5 { // no KubePrism before v1.5
				prism.Port = 7446
			}

			return config.Cluster{
				Name: "full", Endpoint: "https://[2001:db8::1]:443", Contract: contract, KubernetesVersion: kubernetes,
				CNI:               config.CNI{Name: config.CNICustom, URLs: []string{"https://example.com/cni.yaml", "https://example.com/cni2.yaml"}},
				KubeProxyDisabled: true,
				KubePrism:         prism,
				Discovery:         config.Discovery{Disabled: true},
				InstallDisk:       "/dev/nvme0n1",
				InstallImage:      "ghcr.io/siderolabs/installer:v1.13.0",
				ExtraCertSANs:     []string{"cp.example.com", "10.5.0.10"},
				PodSubnets:        []string{"10.100.0.0/16", "fd00:10:100::/56"},
				ServiceSubnets:    []string{"10.200.0.0/16"},
				DNSDomain:         "corp.internal",
			}
		},
		options: func(contract talos.Contract) []generate.Option {
			opts := []generate.Option{
				generate.WithClusterDiscovery(false),
				generate.WithInstallDisk("/dev/nvme0n1"),
				generate.WithInstallImage("ghcr.io/siderolabs/installer:v1.13.0"),
				generate.WithAdditionalSubjectAltNames([]string{"cp.example.com", "10.5.0.10"}),
				generate.WithDNSDomain("corp.internal"),
			}

			if contract >= talos.V1_5 {
				opts = append(opts, generate.WithKubePrismPort(7446))
			}

			if contract >= talos.V1_14 {
				opts = append(opts, generate.WithCustomCNIUrl("https://example.com/cni.yaml"))
			}

			return opts
		},
		patches: func(contract talos.Contract) (all, controlPlane []string) {
			if contract >= talos.V1_14 {
				return []string{
						"apiVersion: v1alpha1\nkind: KubeNetworkConfig\npodSubnets: [10.100.0.0/16, fd00:10:100::/56]\nserviceSubnets: [10.200.0.0/16]\n",
					}, []string{
						noKubeProxy,
						"apiVersion: v1alpha1\nkind: KubeExternalManifestConfig\nname: custom-cni-2\nurl: https://example.com/cni2.yaml\n",
					}
			}

			return []string{
				"cluster:\n  network:\n    cni:\n      name: custom\n      urls:\n        - https://example.com/cni.yaml\n        - https://example.com/cni2.yaml\n",
				"cluster:\n  proxy:\n    disabled: true\n  network:\n    podSubnets: [10.100.0.0/16, fd00:10:100::/56]\n    serviceSubnets: [10.200.0.0/16]\n",
			}, nil
		},
	},
	{
		name: "kubeprism-disabled",
		cluster: func(contract talos.Contract, kubernetes string) config.Cluster {
			return config.Cluster{
				Name: "noprism", Endpoint: "https://10.5.0.2:6443", Contract: contract, KubernetesVersion: kubernetes,
				KubePrism: config.KubePrism{Disabled: true}, CNI: config.CNI{Name: config.CNIFlannel},
			}
		},
		options: func(talos.Contract) []generate.Option { return []generate.Option{generate.WithKubePrismPort(0)} },
		patches: func(contract talos.Contract) (all, controlPlane []string) {
			if contract >= talos.V1_14 {
				return nil, nil // flannel is the KubeFlannelCNIConfig document generation writes
			}

			return []string{"cluster:\n  network:\n    cni:\n      name: flannel\n"}, nil
		},
	},
	{
		name: "kubespan",
		cluster: func(contract talos.Contract, kubernetes string) config.Cluster {
			return config.Cluster{
				Name: "mesh", Endpoint: "https://10.5.0.2:6443", Contract: contract, KubernetesVersion: kubernetes,
				KubeSpan: true, CNI: config.CNI{Name: config.CNICustom, URLs: []string{"https://example.com/cni.yaml"}},
			}
		},
		options: func(talos.Contract) []generate.Option {
			return []generate.Option{generate.WithKubeSpanEnabled(true), generate.WithCustomCNIUrl("https://example.com/cni.yaml")}
		},
		patches: noPatches,
	},
	{
		name: "kubespan-without-discovery",
		cluster: func(contract talos.Contract, kubernetes string) config.Cluster {
			return config.Cluster{
				Name: "mesh", Endpoint: "https://10.5.0.2:6443", Contract: contract, KubernetesVersion: kubernetes,
				KubeSpan: true, Discovery: config.Discovery{Disabled: true},
			}
		},
		options: func(talos.Contract) []generate.Option {
			return []generate.Option{generate.WithKubeSpanEnabled(true), generate.WithClusterDiscovery(false)}
		},
		patches: noPatches,
	},
}

// TestEqualToTalosctlGenConfig proves that Generate and Talosconfig give what talosctl gen
// config (machinery's bundle.NewBundle) gives for the same secrets, contract and settings:
// every document semantically equal, for every listed contract.
func TestEqualToTalosctlGenConfig(t *testing.T) {
	t.Parallel()

	secretsYAML := benchSecrets(t)

	for _, cc := range contractCases {
		for _, sc := range settingsCases {
			t.Run(cc.contract+"/"+sc.name, func(t *testing.T) {
				t.Parallel()

				s, err := config.LoadSecrets(secretsYAML)
				require.NoError(t, err)

				cluster := sc.cluster(talos.MustParseContract(cc.contract), cc.kubernetes)

				got, err := config.Generate(cluster, s)
				require.NoError(t, err)

				want := referenceBundle(t, secretsYAML, cluster, sc)

				requireSameDocuments(t, want.ControlPlane(), got.ControlPlane)
				requireSameDocuments(t, want.Worker(), got.Worker)

				issued := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
				tc, err := config.Talosconfig(cluster, s, issued)
				require.NoError(t, err)
				requireSameTalosconfig(t, want.TalosConfig(), tc, issued)
			})
		}
	}
}

// referenceBundle runs what talosctl gen config runs: bundle.NewBundle with the secrets loaded
// the way talosctl loads --with-secrets, the talosctl flags as generate options and the
// --config-patch patches.
func referenceBundle(t *testing.T, secretsYAML []byte, c config.Cluster, sc settingsCase) *bundle.Bundle {
	t.Helper()

	// talosctl gen config --with-secrets loads the bundle with secrets.LoadBundle.
	path := filepath.Join(t.TempDir(), "secrets.yaml")
	require.NoError(t, os.WriteFile(path, secretsYAML, 0o600))

	b, err := secrets.LoadBundle(path)
	require.NoError(t, err)

	contract, err := coreconfig.ParseContractFromVersion(c.Contract.String())
	require.NoError(t, err)

	genOptions := append([]generate.Option{
		generate.WithVersionContract(contract),
		generate.WithSecretsBundle(b),
	}, sc.options(c.Contract)...)

	all, controlPlane := sc.patches(c.Contract)

	patches, err := configpatcher.LoadPatches(all)
	require.NoError(t, err)

	cpPatches, err := configpatcher.LoadPatches(controlPlane)
	require.NoError(t, err)

	ref, err := bundle.NewBundle(
		bundle.WithInputOptions(&bundle.InputOptions{
			ClusterName: c.Name,
			Endpoint:    c.Endpoint,
			KubeVersion: strings.TrimPrefix(c.KubernetesVersion, "v"),
			GenOptions:  genOptions,
		}),
		bundle.WithPatch(patches),
		bundle.WithPatchControlPlane(cpPatches),
		bundle.WithVerbose(false),
	)
	require.NoError(t, err)

	return ref
}

// requireSameDocuments compares two configs document by document as generic YAML values.
func requireSameDocuments(t *testing.T, want, got coreconfig.Provider) {
	t.Helper()

	wantDocs := decodeDocuments(t, want)
	gotDocs := decodeDocuments(t, got)

	if diff := cmp.Diff(wantDocs, gotDocs); diff != "" {
		t.Fatalf("documents differ from talosctl gen config (-talosctl +ours):\n%s", diff)
	}
}

func decodeDocuments(t *testing.T, cfg coreconfig.Provider) []map[string]any {
	t.Helper()

	raw, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	require.NoError(t, err)

	var docs []map[string]any

	for part := range strings.SplitSeq(string(raw), "\n---\n") {
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(part), &doc))
		docs = append(docs, doc)
	}

	require.NotEmpty(t, docs)

	return docs
}

// requireSameTalosconfig compares talosconfigs: everything but the client key and certificate
// is equal; the client certificate is issued by the same CA with the same subject, usages and
// validity period, starting at issued.
func requireSameTalosconfig(t *testing.T, want, got *clientconfig.Config, issued time.Time) {
	t.Helper()

	require.Equal(t, want.Context, got.Context)
	require.Len(t, got.Contexts, 1)

	wc, gc := want.Contexts[want.Context], got.Contexts[got.Context]
	require.NotNil(t, gc)
	require.Equal(t, wc.Endpoints, gc.Endpoints)
	require.Equal(t, wc.CA, gc.CA)
	require.Equal(t, wc.Nodes, gc.Nodes)

	ca := parseCert(t, wc.CA)
	wantCrt, gotCrt := parseCert(t, wc.Crt), parseCert(t, gc.Crt)

	require.NoError(t, gotCrt.CheckSignatureFrom(ca))
	require.Equal(t, wantCrt.Subject.String(), gotCrt.Subject.String())
	require.Equal(t, wantCrt.KeyUsage, gotCrt.KeyUsage)
	require.Equal(t, wantCrt.ExtKeyUsage, gotCrt.ExtKeyUsage)
	require.Equal(t, wantCrt.IsCA, gotCrt.IsCA)
	require.Equal(t, wantCrt.PublicKeyAlgorithm, gotCrt.PublicKeyAlgorithm)
	require.Equal(t, wantCrt.NotAfter.Sub(wantCrt.NotBefore), gotCrt.NotAfter.Sub(gotCrt.NotBefore))
	require.Equal(t, issued, gotCrt.NotBefore.UTC())

	_, err := x509.ParsePKCS8PrivateKey(pemBytes(t, gc.Key))
	require.NoError(t, err)
}

func parseCert(t *testing.T, b64 string) *x509.Certificate {
	t.Helper()

	crt, err := x509.ParseCertificate(pemBytes(t, b64))
	require.NoError(t, err)

	return crt
}

func pemBytes(t *testing.T, b64 string) []byte {
	t.Helper()

	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)

	block, _ := pem.Decode(raw)
	require.NotNil(t, block, "not PEM")

	return block.Bytes
}

// TestEqualityTestCanFail guards the equality test itself: a real difference (kube-proxy
// disabled on our side only) is reported.
func TestEqualityTestCanFail(t *testing.T) {
	t.Parallel()

	secretsYAML := benchSecrets(t)

	s, err := config.LoadSecrets(secretsYAML)
	require.NoError(t, err)

	cluster := settingsCases[0].cluster(talos.V1_13, "1.36.0")
	want := referenceBundle(t, secretsYAML, cluster, settingsCases[0])

	cluster.KubeProxyDisabled = true
	got, err := config.Generate(cluster, s)
	require.NoError(t, err)

	diff := cmp.Diff(decodeDocuments(t, want.ControlPlane()), decodeDocuments(t, got.ControlPlane))
	require.Contains(t, diff, "disabled")
}
