package sections_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/kubespan/sections"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func load(t *testing.T, base []byte, patchTexts ...string) config.Provider {
	t.Helper()
	var ps []patches.Patch
	for _, text := range patchTexts {
		ps = append(ps, patches.MustParse(text))
	}
	out := base
	if len(ps) > 0 {
		var err error
		out, err = patches.Apply(base, ps...)
		require.NoError(t, err)
	}
	p, err := configloader.NewFromBytes(out)
	require.NoError(t, err)
	return p
}

const ksDoc = "apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n"

func TestValidate(t *testing.T) {
	t.Parallel()

	v13 := contract(t, "v1.13")
	withDiscovery := generated(t, v13, generate.WithClusterDiscovery(true))
	noDiscovery := generated(t, v13, generate.WithClusterDiscovery(false))

	for _, tc := range []struct {
		name     string
		base     []byte
		patches  []string
		want     []error
		paths    []string
		warnings int
	}{
		{name: "kubespan off", base: noDiscovery},
		{name: "ok", base: withDiscovery, patches: []string{ksDoc}},
		{
			name: "document without discovery", base: noDiscovery, patches: []string{ksDoc},
			want: []error{sections.ErrDiscoveryDisabled}, paths: []string{"/cluster/discovery/enabled"},
		},
		{
			name: "no registries", base: withDiscovery,
			patches: []string{ksDoc, "cluster:\n  discovery:\n    registries:\n      service:\n        disabled: true\n"},
			want:    []error{sections.ErrDiscoveryDisabled}, paths: []string{"/cluster/discovery/registries"},
		},
		{
			name: "no cluster id or secret", base: withDiscovery,
			patches: []string{ksDoc, "cluster:\n  id: { $patch: delete }\n  secret: { $patch: delete }\n"},
			want:    []error{sections.ErrMissingClusterID, sections.ErrMissingClusterSecret}, paths: []string{"/cluster/id", "/cluster/secret"},
		},
		{
			name: "bad secret", base: withDiscovery,
			patches: []string{ksDoc, "cluster:\n  secret: not-base64\n"},
			want:    []error{sections.ErrInvalidClusterSecrets}, paths: []string{"/cluster/secret"},
		},
		{
			name: "mtu and filters", base: withDiscovery,
			patches: []string{ksDoc + "mtu: 1200\nfilters:\n  endpoints: ['!10.0.0.0/8', '0.0.0.0/0']\n"},
			want:    []error{sections.ErrMTUTooSmall, sections.ErrIneffectiveFilter}, paths: []string{"/mtu", "/filters/endpoints/0"},
		},
		{
			name: "only negations", base: withDiscovery,
			patches: []string{ksDoc + "filters:\n  endpoints: ['!10.0.0.0/8']\n"},
			want:    []error{sections.ErrIneffectiveFilter}, paths: []string{"/filters/endpoints"},
		},
		{
			name: "only negations with extra endpoints", base: withDiscovery,
			patches: []string{ksDoc + "filters:\n  endpoints: ['!0.0.0.0/0', '!::/0']\n---\napiVersion: v1alpha1\nkind: KubeSpanEndpointsConfig\nextraAnnouncedEndpoints: ['192.0.2.1:51820']\n"},
		},
		{
			name: "legacy and document", base: withDiscovery,
			patches: []string{ksDoc, "machine:\n  network:\n    kubespan:\n      enabled: true\n"},
			want:    []error{sections.ErrConflict}, paths: []string{"/machine/network/kubespan"},
		},
		{
			name: "legacy bad filters", base: withDiscovery,
			patches: []string{"machine:\n  network:\n    kubespan:\n      enabled: true\n      mtu: 900\n      filters:\n        endpoints: ['10.0.0.0/33']\n        excludeAdvertisedNetworks: ['10.1.2.3']\n"},
			want:    []error{sections.ErrMTUTooSmall, sections.ErrInvalidFilter, sections.ErrInvalidFilter},
			paths:   []string{"/machine/network/kubespan/mtu", "/machine/network/kubespan/filters/endpoints/0", "/machine/network/kubespan/filters/excludeAdvertisedNetworks/0"},
		},
		{
			name: "warnings", base: withDiscovery,
			patches:  []string{ksDoc + "harvestExtraEndpoints: true\n", "cluster:\n  discovery:\n    registries:\n      kubernetes:\n        disabled: false\n"},
			warnings: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := load(t, tc.base, tc.patches...)
			before, err := cfg.EncodeString()
			require.NoError(t, err)

			warnings, err := sections.Validate(cfg)
			require.Len(t, warnings, tc.warnings, "warnings: %v", warnings)
			after, encErr := cfg.EncodeString()
			require.NoError(t, encErr)
			require.Equal(t, before, after, "Validate modified its input")

			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorIs(t, err, w)
			}
			var got []string
			for _, e := range flatten(err) {
				var fe *talos.FieldError
				require.True(t, errors.As(e, &fe), "not a FieldError: %v", e)
				require.NotEmpty(t, fe.Fix, "no fix for %v", fe)
				got = append(got, fe.Path)
			}
			require.Equal(t, tc.paths, got, "error: %v", err)
			require.Equal(t, len(tc.want), strings.Count(err.Error(), "fix:"))
		})
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestTalosGap: machinery v1.13 accepted a KubeSpanConfig document with discovery off, the gap
// Validate was written to close. Machinery v1.14 refuses it too; Validate keeps its check,
// which names the field and the fix.
func TestTalosGap(t *testing.T) {
	t.Parallel()

	cfg := load(t, generated(t, contract(t, "v1.13"), generate.WithClusterDiscovery(false)), ksDoc)
	_, err := cfg.Validate(runtimeMode{})
	require.ErrorContains(t, err, "KubeSpan requires cluster discovery to be enabled")
	_, err = sections.Validate(cfg)
	require.ErrorIs(t, err, sections.ErrDiscoveryDisabled)
}

func TestValidateNil(t *testing.T) {
	t.Parallel()

	warnings, err := sections.Validate(nil)
	require.ErrorIs(t, err, sections.ErrNoConfig)
	require.Empty(t, warnings)
}

// TestValidateV114: on contract v1.14 discovery and the cluster identity are documents
// (DiscoveryServiceConfig, DiscoveryIdentityConfig); Validate reads them there.
func TestValidateV114(t *testing.T) {
	t.Parallel()

	v14 := contract(t, "v1.14")

	cfg := load(t, generated(t, v14, generate.WithClusterDiscovery(true)), ksDoc)
	require.NotEmpty(t, cfg.DiscoveryServiceConfigs())
	require.NotNil(t, cfg.DiscoveryIdentityConfig())
	warnings, err := sections.Validate(cfg)
	require.NoError(t, err)
	require.Empty(t, warnings)

	// no DiscoveryServiceConfig document: KubeSpan finds no peers
	cfg = load(t, generated(t, v14, generate.WithClusterDiscovery(false)), ksDoc)
	require.Empty(t, cfg.DiscoveryServiceConfigs())
	_, err = sections.Validate(cfg)
	require.ErrorIs(t, err, sections.ErrDiscoveryDisabled)
	var fe *talos.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, talos.Document{Kind: "DiscoveryServiceConfig"}, fe.Document)
	require.NotEmpty(t, fe.Fix)

	// the identity document is where a bad secret is reported
	cfg = load(t, generated(t, v14, generate.WithClusterDiscovery(true)), ksDoc,
		"apiVersion: v1alpha1\nkind: DiscoveryIdentityConfig\nclusterSecret: c2hvcnQ=\n")
	_, err = sections.Validate(cfg)
	require.ErrorIs(t, err, sections.ErrInvalidClusterSecrets)
	require.ErrorAs(t, err, &fe)
	require.Equal(t, talos.Document{Kind: "DiscoveryIdentityConfig"}, fe.Document)
	require.Equal(t, "/clusterSecret", fe.Path)
}
