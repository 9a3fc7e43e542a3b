package config_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
)

func fullCluster() config.Cluster {
	return config.Cluster{
		Name:              "full",
		Endpoint:          "https://cp.example.com:6443",
		Contract:          "v1.13",
		KubernetesVersion: "1.36.0",
		CNI:               config.CNI{Name: config.CNICustom, URLs: []string{"https://example.com/cni.yaml"}},
		KubeProxyDisabled: true,
		KubePrism:         config.KubePrism{Port: 7446},
		Discovery:         config.Discovery{Disabled: true},
		InstallDisk:       "/dev/sda",
		InstallImage:      "ghcr.io/siderolabs/installer:v1.13.0",
		ExtraCertSANs:     []string{"cp.example.com"},
		PodSubnets:        []string{"10.100.0.0/16"},
		ServiceSubnets:    []string{"10.200.0.0/16"},
		DNSDomain:         "corp.internal",
		TalosEndpoints:    []string{"10.5.0.2"},
	}
}

func TestClusterYAMLRoundTrip(t *testing.T) {
	t.Parallel()

	for _, c := range []config.Cluster{{}, demo(), fullCluster()} {
		out, err := c.Marshal()
		require.NoError(t, err)

		back, err := config.LoadCluster(out)
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(c, back))
	}

	out, err := fullCluster().Marshal()
	require.NoError(t, err)
	golden(t, "cluster-full.yaml", out)

	empty, err := config.Cluster{}.Marshal()
	require.NoError(t, err)
	require.Equal(t, "name: \"\"\nendpoint: \"\"\ncontract: \"\"\n", string(empty), "optional fields at zero are left out")
}

func TestClusterJSON(t *testing.T) {
	t.Parallel()

	out, err := json.Marshal(demo())
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"demo","endpoint":"https://10.5.0.2:6443","contract":"v1.13","kubernetesVersion":"1.36.0",
		"cni":{"name":"none"},"kubeProxyDisabled":true,"talosEndpoints":["10.5.0.2"]}`, string(out))

	var back config.Cluster
	require.NoError(t, json.Unmarshal(out, &back))
	require.Empty(t, cmp.Diff(demo(), back))
}

func TestLoadClusterErrors(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, data, text string
	}{
		{"unknown field", "name: demo\nendpont: https://x:6443\n", "endpont"},
		{"unknown cni", "cni:\n  name: weave\n", "unknown cni name"},
		{"wrong type", "kubeProxyDisabled: maybe\n", ""},
		{"not yaml", "name: [\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			c, err := config.LoadCluster([]byte(tc.data))
			require.Error(t, err)
			require.Empty(t, cmp.Diff(config.Cluster{}, c))

			if tc.text != "" {
				require.ErrorContains(t, err, tc.text)
			}
		})
	}
}

func TestCNIName(t *testing.T) {
	t.Parallel()

	for name, want := range map[string]config.CNIName{"": config.CNIDefault, "flannel": config.CNIFlannel, "custom": config.CNICustom, "none": config.CNINone} {
		var n config.CNIName
		require.NoError(t, n.UnmarshalText([]byte(name)))
		require.Equal(t, want, n)

		text, err := n.MarshalText()
		require.NoError(t, err)
		require.Equal(t, name, string(text))
		require.Equal(t, name, n.String())
	}

	var n config.CNIName
	require.ErrorIs(t, n.UnmarshalText([]byte("Flannel")), config.ErrCNI)

	_, err := config.CNIName(7).MarshalText()
	require.ErrorIs(t, err, config.ErrCNI)
	require.Equal(t, "CNIName(7)", config.CNIName(7).String())
}

func TestParseContract(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{"v1.13", "v1.13", nil},
		{"1.13", "v1.13", nil},
		{"v1.13.2", "v1.13", nil},
		{"v1.0", "v1.0", nil},
		{"v1.7.0-alpha.1", "v1.7", nil},
		{"", "", config.ErrNoContract},
		{"v1", "", config.ErrUnknownContract},
		{"v1.13x", "", config.ErrUnknownContract},
		{"current", "", config.ErrUnknownContract},
		{"v0.14", "", config.ErrUnknownContract},
		{"v01.13", "", config.ErrUnknownContract},
		{"v1.14", "", config.ErrContractUnsupported},
		{"v2.0", "", config.ErrContractUnsupported},
		{"v1.99999999999999999999", "", config.ErrUnknownContract},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()

			c, err := config.ParseContract(tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Nil(t, c)

				var fe *config.FieldError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, "contract", fe.Path)

				return
			}

			require.NoError(t, err)
			require.Equal(t, tc.want, c.String())
		})
	}

	require.Equal(t, "v1.13", config.LatestContract().String())
}

// TestEndpointSuggestions: the error for a malformed endpoint suggests the fixed form.
func TestEndpointSuggestions(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		in, suggestion string
	}{
		{"10.5.0.2", `"https://10.5.0.2:6443"`},
		{"10.5.0.2:6443", `"https://10.5.0.2:6443"`},
		{"cp.example.com", `"https://cp.example.com:6443"`},
		{"http://cp.example.com:443", `"https://cp.example.com:443"`},
		{"https://cp.example.com", `"https://cp.example.com:6443"`},
		{"https://cp.example.com:6443/", ""},
		{"https://[2001:db8::1]", `"https://[2001:db8::1]:6443"`},
		{" https://10.5.0.2:6443", `"https://10.5.0.2:6443"`},
		{"https://10.5.0.2:0", `"https://10.5.0.2:6443"`},
		{"https://user@10.5.0.2:6443", `"https://10.5.0.2:6443"`},
		{"https://10.5.0.2:6443?x=1", `"https://10.5.0.2:6443"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()

			c := demo()
			c.Endpoint = tc.in

			err := c.Validate()
			if tc.suggestion == "" {
				require.NoError(t, err)

				return
			}

			require.ErrorIs(t, err, config.ErrEndpoint)

			var fe *config.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "endpoint", fe.Path)
			require.Equal(t, tc.suggestion, fe.Suggestion)
		})
	}
}

func TestClusterWarnings(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name   string
		mutate func(*config.Cluster)
		want   []string
	}{
		{"none", func(*config.Cluster) {}, nil},
		{"kubernetes too new", func(c *config.Cluster) { c.Contract = "v1.3" }, []string{"kubernetesVersion: version of Kubernetes 1.36.0 is too new to be used with Talos 1.3.0"}},
		{"kubernetes too old", func(c *config.Cluster) { c.KubernetesVersion = "1.20.0" }, []string{"kubernetesVersion: version of Kubernetes 1.20.0 is too old to be used with Talos 1.13.0"}},
		{"no table for v1.0", func(c *config.Cluster) { c.Contract = "v1.0" }, nil},
		{"no kubernetes version", func(c *config.Cluster) { c.KubernetesVersion = "" }, nil},
		{"invalid fields are skipped", func(c *config.Cluster) { c.Contract = "x"; c.KubernetesVersion = "y" }, nil},
		{"flannel without kube-proxy", func(c *config.Cluster) { c.CNI = config.CNI{} }, []string{
			"kubeProxyDisabled: flannel does not replace kube-proxy; use cni none with a CNI that does (Cilium), or keep kube-proxy",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			c := demo()
			tc.mutate(&c)
			require.Equal(t, tc.want, c.Warnings())
		})
	}
}
