package config_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

func fullCluster() config.Cluster {
	return config.Cluster{
		Name:              "full",
		Endpoint:          "https://cp.example.com:6443",
		Contract:          talos.V1_13,
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
	require.Equal(t, "name: \"\"\nendpoint: \"\"\ncontract: \"\"\nkubernetesVersion: \"\"\n", string(empty), "optional fields at zero are left out")
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
		{"https://cp.example.com", ""}, // port 443, as talosctl gen config takes it
		{"http://cp.example.com", `"https://cp.example.com"`},
		{"https://cp.example.com:6443/", ""},
		{"https://[2001:db8::1]", ""},
		{"[2001:db8::1]:6443", `"https://[2001:db8::1]:6443"`},
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

			var fe *talos.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "/endpoint", fe.Path)
			require.Equal(t, tc.suggestion, fe.Fix)
		})
	}
}

func TestClusterWarnings(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name   string
		mutate func(*config.Cluster)
		want   []talos.Warning
	}{
		{"none", func(*config.Cluster) {}, nil},
		{"kubernetes too new, allowed", func(c *config.Cluster) { c.Contract = talos.V1_3; c.AllowUnsupportedKubernetes = true }, []talos.Warning{{
			Path: "/kubernetesVersion", Message: "Kubernetes 1.36.0 is outside what Talos v1.3 supports (1.24.0 to 1.26.x); allowed by allowUnsupportedKubernetes",
		}}},
		{"kubernetes too old, allowed", func(c *config.Cluster) { c.KubernetesVersion = "1.20.0"; c.AllowUnsupportedKubernetes = true }, []talos.Warning{{
			Path: "/kubernetesVersion", Message: "Kubernetes 1.20.0 is outside what Talos v1.13 supports (1.31.0 to 1.36.x); allowed by allowUnsupportedKubernetes",
		}}},
		{"kubernetes too new, refused", func(c *config.Cluster) { c.Contract = talos.V1_3 }, nil},
		{"no kubernetes version", func(c *config.Cluster) { c.KubernetesVersion = "" }, nil},
		{"invalid fields are skipped", func(c *config.Cluster) {
			c.Contract = 0
			c.KubernetesVersion = "y"
			c.AllowUnsupportedKubernetes = true
		}, nil},
		{"flannel without kube-proxy", func(c *config.Cluster) { c.CNI = config.CNI{} }, []talos.Warning{{
			Path: "/kubeProxyDisabled", Message: "flannel does not replace kube-proxy; use cni none with a CNI that does (Cilium), or keep kube-proxy",
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			c := demo()
			tc.mutate(&c)
			require.Equal(t, tc.want, c.Warnings())
		})
	}
}

// TestLoadClusterContract: the contract is text in a description; what ParseContract refuses is
// an error naming the field and saying what to write, and a missing contract loads as the zero
// value, which Validate reports.
func TestLoadClusterContract(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		text string
		err  error
		msg  string
	}{
		{"v1.15", talos.ErrContractUnsupported, "the newest contract this talospatch supports"},
		{"latest", talos.ErrUnknownContract, `there is no "latest"`},
		{"1.x", talos.ErrUnknownContract, `"vMAJOR.MINOR"`},
	} {
		_, err := config.LoadCluster([]byte("name: a\nendpoint: https://10.5.0.2:6443\ncontract: " + tc.text + "\nkubernetesVersion: 1.37.0\n"))
		require.ErrorIs(t, err, tc.err, tc.text)
		require.ErrorIs(t, err, config.ErrInvalid, tc.text)
		require.ErrorContains(t, err, "/contract: ", tc.text)
		require.ErrorContains(t, err, tc.msg, tc.text)
	}

	for _, text := range []string{`""`, "", "~"} {
		c, err := config.LoadCluster([]byte("name: a\nendpoint: https://10.5.0.2:6443\ncontract: " + text + "\nkubernetesVersion: 1.37.0\n"))
		require.NoError(t, err, text)
		require.Zero(t, c.Contract)

		err = c.Validate()
		require.ErrorIs(t, err, config.ErrNoContract)
		require.ErrorContains(t, err, "/contract: talos version contract is required; fix: pass the contract")
	}

	c, err := config.LoadCluster([]byte("name: a\nendpoint: https://10.5.0.2:6443\ncontract: v1.14.1\nkubernetesVersion: 1.37.0\n"))
	require.NoError(t, err)
	require.Equal(t, talos.V1_14, c.Contract)
	require.NoError(t, c.Validate())
}

// TestLoadClusterUnknownKey: a misspelt key is an error naming the key as written, its path and
// line, and the key meant.
func TestLoadClusterUnknownKey(t *testing.T) {
	t.Parallel()

	for text, want := range map[string]string{
		"name: a\nendpoint: https://10.5.0.2:6443\ncontract: v1.14\nkubernetesVerison: 1.37.0\n": `/kubernetesVerison: invalid value: unknown key "kubernetesVerison" on line 4; fix: did you mean "kubernetesVersion"?`,
		"name: a\ncni:\n  nmae: none\n":       `/cni/nmae: invalid value: unknown key "nmae" on line 3; fix: did you mean "name"?`,
		"name: a\nkubeprism:\n  port: 7445\n": `/kubeprism: invalid value: unknown key "kubeprism" on line 2; fix: did you mean "kubePrism"?`,
		"name: a\nflavour: vanilla\n":         `/flavour: invalid value: unknown key "flavour" on line 2; fix: the keys are name, endpoint, contract`,
	} {
		_, err := config.LoadCluster([]byte(text))
		require.ErrorIs(t, err, config.ErrInvalid)
		require.ErrorContains(t, err, want, text)

		var fe *talos.FieldError
		require.ErrorAs(t, err, &fe)
	}
}

func TestAPIServerAddress(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		endpoint string
		host     string
		port     uint16
	}{
		{"https://10.5.0.2:6443", "10.5.0.2", 6443},
		{"https://cp.example.com", "cp.example.com", 443},
		{"https://[2001:db8::1]:7443", "2001:db8::1", 7443},
		{"https://[2001:db8::1]/", "2001:db8::1", 443},
	} {
		host, port, err := config.Cluster{Endpoint: tc.endpoint}.APIServerAddress()
		require.NoError(t, err, tc.endpoint)
		require.Equal(t, tc.host, host, tc.endpoint)
		require.Equal(t, tc.port, port, tc.endpoint)
	}

	for _, endpoint := range []string{"", "10.5.0.2:6443", "https://10.5.0.2:0", "https://10.5.0.2:70000", "http://10.5.0.2:6443", "https://"} {
		_, _, err := config.Cluster{Endpoint: endpoint}.APIServerAddress()
		require.ErrorIs(t, err, config.ErrEndpoint, endpoint)

		var fe *talos.FieldError
		require.ErrorAs(t, err, &fe, endpoint)
		require.Equal(t, "/endpoint", fe.Path)

		var same bool
		for _, p := range talos.Problems(config.Cluster{Endpoint: endpoint}.Validate()) {
			same = same || p.Path == "/endpoint" && p.Err.Error() == fe.Error()
		}

		require.True(t, same, "Validate reports the same error: %v", err)
	}
}
