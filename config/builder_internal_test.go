package config

import (
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/talos"
)

// TestFastPathTakesEveryNodeSettingsField: for every field of NodeSettings (by reflection), on
// every form of the settings, a node without patches of its own takes the fast path
// (nodeencode's AppendMerged reports that it covers the settings' documents). A new field the
// fast path cannot merge fails here; TestBuildEveryNodeSettingsField checks the bytes.
func TestFastPathTakesEveryNodeSettingsField(t *testing.T) {
	t.Parallel()

	samples := map[string]any{
		"Hostname":    "node-7",
		"Labels":      map[string]string{"example.com/node": "node-7"},
		"Annotations": map[string]string{"example.com/rack": "r7"},
		"Taints":      map[string]string{"dedicated": "db:NoSchedule"},
		"CertSANs":    []string{"10.0.0.8"},
	}

	secrets, err := LoadSecrets(mustRead(t, "../testdata/bench/secrets.yaml"))
	require.NoError(t, err)

	for _, c := range []talos.Contract{talos.V1_14, talos.V1_13, talos.MustParseContract("v1.11")} {
		cfgs, err := Generate(Cluster{Name: "fleet", Endpoint: "https://fleet.example:6443", Contract: c, KubernetesVersion: c.Kubernetes().Default}, secrets)
		require.NoError(t, err)

		b, err := cfgs.NewBuilder(Layers{})
		require.NoError(t, err)

		typ := reflect.TypeFor[NodeSettings]()

		for i := range typ.NumField() {
			name := typ.Field(i).Name

			sample, ok := samples[name]
			if !ok {
				t.Fatalf("NodeSettings.%s has no sample value here: add one, and make NodeSettings.documents write the field so that the fast path covers it", name)
			}

			var s NodeSettings

			reflect.ValueOf(&s).Elem().Field(i).Set(reflect.ValueOf(sample))

			for _, rb := range b.roles {
				docs := s.documents(rb.forms)
				require.NotEmpty(t, docs, "%s: NodeSettings.%s writes no document", c, name)

				_, ok, err := rb.enc.AppendMerged(nil, docs)
				require.NoError(t, err)
				require.True(t, ok, "%s %s: the fast path does not cover NodeSettings.%s", c, rb.role, name)
			}
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()

	data, err := os.ReadFile(path)
	require.NoError(t, err, "the fixtures are in testdata/ at the repository root")

	return data
}
