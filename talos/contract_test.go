package talos_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/talos"
)

func TestParseContract(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		in   string
		want talos.Contract
		err  error
		text string // part of the error message
	}{
		{"v1.14", talos.V1_14, nil, ""},
		{"1.14", talos.V1_14, nil, ""},
		{"v1.13", talos.V1_13, nil, ""},
		{"v1.13.2", talos.V1_13, nil, ""},
		{"v1.0", talos.V1_0, nil, ""},
		{"v1.7.0-alpha.1", talos.V1_7, nil, ""},
		{"", 0, talos.ErrNoContract, `for example "v1.14"`},
		{"latest", 0, talos.ErrUnknownContract, `there is no "latest"`},
		{"current", 0, talos.ErrUnknownContract, ""},
		{"v1", 0, talos.ErrUnknownContract, ""},
		{"v1.13x", 0, talos.ErrUnknownContract, ""},
		{"v1.13.x", 0, talos.ErrUnknownContract, ""},
		{"v0.14", 0, talos.ErrUnknownContract, "older than v1.0"},
		{"v01.13", 0, talos.ErrUnknownContract, ""},
		{"v1.15", 0, talos.ErrContractUnsupported, "v1.14, the newest contract"},
		{"v2.0", 0, talos.ErrContractUnsupported, "v1.14"},
		{"v1.99999999999999999999", 0, talos.ErrUnknownContract, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()

			c, err := talos.ParseContract(tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Zero(t, c)
				require.Contains(t, err.Error(), tc.text)

				return
			}

			require.NoError(t, err)
			require.Equal(t, tc.want, c)
			require.Equal(t, tc.want, talos.MustParseContract(c.String()))
		})
	}

	require.Panics(t, func() { talos.MustParseContract("v1.15") })
}

func TestContractValues(t *testing.T) {
	t.Parallel()

	var zero talos.Contract
	require.False(t, zero.IsValid())
	require.Equal(t, "invalid contract", zero.String())
	require.Equal(t, -1, zero.Minor())
	require.Equal(t, "Contract(99)", talos.Contract(99).String())

	err := zero.Check("contract")
	require.ErrorIs(t, err, talos.ErrNoContract)

	var fe *talos.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "contract", fe.Path)
	require.Contains(t, fe.Fix, "talos.V1_14")

	require.ErrorIs(t, talos.Contract(99).Check("/contract"), talos.ErrUnknownContract)
	require.NoError(t, talos.V1_14.Check("contract"))

	require.Equal(t, talos.V1_0, talos.Oldest)
	require.Equal(t, talos.V1_14, talos.Newest)
	require.True(t, talos.V1_12 < talos.V1_13)
	require.Equal(t, 14, talos.V1_14.Minor())
	require.Equal(t, 1, talos.V1_14.Major())

	for c := talos.Oldest; c <= talos.Newest; c++ {
		require.True(t, c.IsValid())
		require.Equal(t, c, talos.MustParseContract(c.String()))
	}
}

// TestContractText: a Contract is a YAML and JSON field; the zero value and bad text do not
// marshal or unmarshal.
func TestContractText(t *testing.T) {
	t.Parallel()

	type doc struct {
		Contract talos.Contract `json:"contract"`
	}

	out, err := yaml.Marshal(doc{Contract: talos.V1_14})
	require.NoError(t, err)
	require.Equal(t, "contract: v1.14\n", string(out))

	var back doc
	require.NoError(t, yaml.Unmarshal(out, &back))
	require.Equal(t, talos.V1_14, back.Contract)

	js, err := json.Marshal(doc{Contract: talos.V1_0})
	require.NoError(t, err)
	require.JSONEq(t, `{"contract":"v1.0"}`, string(js))

	js, err = json.Marshal(doc{})
	require.NoError(t, err, "the zero value writes as missing")
	require.JSONEq(t, `{"contract":""}`, string(js))
	require.NoError(t, json.Unmarshal(js, &back))
	require.Zero(t, back.Contract)

	_, err = json.Marshal(doc{Contract: 99})
	require.ErrorIs(t, err, talos.ErrUnknownContract)

	require.ErrorIs(t, json.Unmarshal([]byte(`{"contract":"v1.15"}`), &back), talos.ErrContractUnsupported)
	require.ErrorIs(t, json.Unmarshal([]byte(`{"contract":"latest"}`), &back), talos.ErrUnknownContract)
}

func TestForms(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		c    talos.Contract
		s    talos.Setting
		want talos.Form
	}{
		{talos.V1_13, talos.SettingKubeProxy, talos.Form{Kind: "v1alpha1", Path: "/cluster/proxy", Since: talos.V1_0}},
		{talos.V1_14, talos.SettingKubeProxy, talos.Form{Kind: "KubeProxyConfig", Since: talos.V1_14}},
		{talos.V1_14, talos.SettingCNI, talos.Form{Kind: "KubeFlannelCNIConfig", Since: talos.V1_14}},
		{talos.V1_12, talos.SettingKubeSpan, talos.Form{Kind: "v1alpha1", Path: "/machine/network/kubespan", Since: talos.V1_0}},
		{talos.V1_13, talos.SettingKubeSpan, talos.Form{Kind: "KubeSpanConfig", Since: talos.V1_13}},
		{talos.V1_4, talos.SettingKubePrism, talos.Form{}},
		{talos.V1_5, talos.SettingKubePrism, talos.Form{Kind: "v1alpha1", Path: "/machine/features/kubePrism", Since: talos.V1_5}},
		{talos.V1_7, talos.SettingKubeSpanEndpoints, talos.Form{}},
		{talos.V1_8, talos.SettingKubeSpanEndpoints, talos.Form{Kind: "KubeSpanEndpointsConfig", Since: talos.V1_8}},
		{talos.V1_11, talos.SettingHostname, talos.Form{Kind: "v1alpha1", Path: "/machine/network/hostname", Since: talos.V1_0}},
		{talos.V1_12, talos.SettingHostname, talos.Form{Kind: "HostnameConfig", Since: talos.V1_12}},
		{talos.V1_14, talos.SettingNodeLabels, talos.Form{Kind: "KubeNodeConfig", Since: talos.V1_14}},
		{0, talos.SettingCNI, talos.Form{}},
		{talos.V1_14, talos.SettingUnknown, talos.Form{}},
	} {
		require.Equal(t, tc.want, tc.c.Form(tc.s), "%s %s", tc.c, tc.s)
	}

	// Every setting is expressible on the newest contract, and every form of every setting
	// is reachable.
	for _, s := range talos.Settings() {
		require.True(t, talos.Newest.Form(s).Supported(), s.String())
	}

	legacy := talos.V1_14.LegacyForms()
	require.Equal(t, "/cluster/proxy", legacy[talos.SettingKubeProxy].Path)
	require.Equal(t, "/machine/nodeLabels", legacy[talos.SettingNodeLabels].Path)
	require.NotContains(t, legacy, talos.SettingKubeSpanEndpoints)
	require.Empty(t, talos.V1_11.LegacyForms())

	require.True(t, talos.V1_14.ControlPlaneOnly("KubeProxyConfig"))
	require.True(t, talos.V1_14.ControlPlaneOnly("KubeFlannelCNIConfig"))
	require.False(t, talos.V1_14.ControlPlaneOnly("KubeNodeConfig"))
	require.False(t, talos.V1_13.ControlPlaneOnly("KubeProxyConfig"))
	require.Len(t, talos.V1_14.ControlPlaneOnlyKinds(), 14)

	require.True(t, talos.V1_12.MultiDocument())
	require.False(t, talos.V1_11.MultiDocument())
	require.False(t, talos.V1_1.StrategicPatches())
	require.True(t, talos.V1_2.StrategicPatches())
}

func TestKubernetesRange(t *testing.T) {
	t.Parallel()

	r := talos.V1_14.Kubernetes()
	require.Equal(t, talos.KubernetesRange{Oldest: "1.32.0", Newest: "1.37", Default: "1.37.0"}, r)
	require.Equal(t, "1.32.0 to 1.37.x", r.String())
	require.Equal(t, talos.KubernetesRange{Oldest: "1.31.0", Newest: "1.36", Default: "1.36.0"}, talos.V1_13.Kubernetes())

	for v, want := range map[string]bool{
		"1.37.0": true, "v1.37.9": true, "1.32.0": true, "1.35.4": true,
		"1.38.0": false, "1.31.0": false, "1.31.99": false, "2.0.0": false, "": false, "1.37": false,
		"1.37.0-rc.1": true, "1.32.0-rc.1": false,
	} {
		require.Equal(t, want, r.Contains(v), v)
	}

	for c := talos.Oldest; c <= talos.Newest; c++ {
		kr := c.Kubernetes()
		require.True(t, kr.Contains(kr.Default), "%s default %s", c, kr.Default)
		require.True(t, kr.Contains(kr.Oldest), c.String())
	}

	require.Zero(t, talos.Contract(0).Kubernetes())

	k, err := talos.ParseKubernetesVersion("v1.37.2-rc.1")
	require.NoError(t, err)
	require.Equal(t, talos.KubernetesVersion{Major: 1, Minor: 37, Patch: 2, Pre: "rc.1"}, k)
	require.Equal(t, "1.37.2-rc.1", k.String())

	for _, bad := range []string{"", "1.37", "1.37.x", "1.37.0-", "01.37.0", "1.37.0.1", "1.37.0-ä"} {
		_, err := talos.ParseKubernetesVersion(bad)
		require.Error(t, err, bad)
	}
}

func TestPointer(t *testing.T) {
	t.Parallel()

	require.Equal(t, "/cluster/network/cni", talos.Pointer("cluster", "network", "cni"))
	require.Equal(t, "/machine/nodeLabels/example.com~1role/a~0b", talos.Pointer("machine", "nodeLabels", "example.com/role", "a~b"))
	require.Empty(t, talos.Pointer())
	require.Equal(t, []string{"machine", "nodeLabels", "example.com/role", "a~b"}, talos.Segments("/machine/nodeLabels/example.com~1role/a~0b"))
	require.Nil(t, talos.Segments(""))
}

func TestFieldErrorAndWarning(t *testing.T) {
	t.Parallel()

	cause := errors.New("kubespan mtu too small")
	fe := &talos.FieldError{Document: talos.Document{Kind: "KubeSpanConfig"}, Path: "/mtu", Value: "1000", Err: cause, Fix: "set it to 1280 or more"}
	require.Equal(t, `KubeSpanConfig /mtu: kubespan mtu too small (value "1000"); fix: set it to 1280 or more`, fe.Error())
	require.ErrorIs(t, fe, cause)
	require.Equal(t, []string{"mtu"}, fe.Segments())

	named := &talos.FieldError{Document: talos.Document{Kind: "DiscoveryServiceConfig", Name: "default"}, Err: cause}
	require.Equal(t, `DiscoveryServiceConfig "default": kubespan mtu too small`, named.Error())

	plain := &talos.FieldError{Path: "/kubernetesVersion", Err: cause}
	require.Equal(t, "/kubernetesVersion: kubespan mtu too small", plain.Error())

	w := talos.Warning{Document: talos.Document{Kind: "v1alpha1"}, Path: "/cluster/discovery/registries/kubernetes", Message: "deprecated"}
	require.Equal(t, "v1alpha1 /cluster/discovery/registries/kubernetes: deprecated", w.String())
	require.Equal(t, "deprecated", talos.Warning{Message: "deprecated"}.String())
}

// FuzzParseContract: whatever parses prints back to text that parses to the same contract, and
// never panics.
func FuzzParseContract(f *testing.F) {
	for _, s := range []string{"v1.14", "1.0", "v1.13.2", "v1.7.0-alpha.1", "", "latest", "v1.15", "v01.1"} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, s string) {
		c, err := talos.ParseContract(s)
		if err != nil {
			require.Zero(t, c)

			return
		}

		require.True(t, c.IsValid())

		text, err := c.MarshalText()
		require.NoError(t, err)

		var back talos.Contract
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, c, back)
	})
}

// FuzzPointer: Segments inverts Pointer.
func FuzzPointer(f *testing.F) {
	f.Add("cluster", "a/b", "~1")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		require.Equal(t, []string{a, b, c}, talos.Segments(talos.Pointer(a, b, c)))
	})
}

func TestDottedPointer(t *testing.T) {
	t.Parallel()

	for in, want := range map[string]string{
		"":                            "",
		"cluster.network.cni.urls[0]": "/cluster/network/cni/urls/0",
		"filters.endpoints[1]":        "/filters/endpoints/1",
		"mtu":                         "/mtu",
		"a[0][2].b":                   "/a/0/2/b",
	} {
		require.Equal(t, want, talos.DottedPointer(in), in)
	}
}
