package config_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// TestLoadSecretsRoundTrip: the talosctl gen secrets file loads and marshals back to the same
// bytes.
func TestLoadSecretsRoundTrip(t *testing.T) {
	t.Parallel()

	data := benchSecrets(t)

	s, err := config.LoadSecrets(data)
	require.NoError(t, err)

	out, err := s.Marshal()
	require.NoError(t, err)
	require.Equal(t, string(data), string(out))

	require.Equal(t, "mx2Gnd3k14/0vO2nE/mnR9GbcawOo7jgiVEnuk8WIYo=", s.ClusterID(), "a v1.14 id: standard base64")
	require.Equal(t, "3ZVU307AvXGE2NRY9qoELLVjwQd94OJ48AXPOVC10Eg=", s.ClusterSecret())
	require.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), s.CreatedAt())

	// The loaded bundle works with machinery directly: its clock is set (Talosconfig would
	// panic without one) and fixed at the creation time.
	b := s.Bundle()
	require.NotNil(t, b.Clock)
	require.Equal(t, s.CreatedAt(), b.Clock.Now())
	require.NoError(t, b.Validate(coreconfig.TalosVersionCurrent))
}

func TestLoadSecretsErrors(t *testing.T) {
	t.Parallel()

	valid := string(benchSecrets(t))

	for _, tc := range []struct {
		name string
		data string
		text string
	}{
		{"empty", "", "empty input"},
		{"blank", " \n\t\n", "empty input"},
		{"null document", "~\n", "empty document"},
		{"not yaml", "{{{", ""},
		{"list", "- a\n- b\n", ""},
		{"no cluster id", strings.Replace(valid, "    id: mx2Gnd3k14/0vO2nE/mnR9GbcawOo7jgiVEnuk8WIYo=\n", "", 1), "/cluster/id: invalid secrets bundle: the cluster id is missing"},
		{"no certs", valid[:strings.Index(valid, "certs:")], "certs"},
		{"two documents", valid + "---\n" + valid, "more than one"},
		{"bad certificate", strings.Replace(valid, "crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJQ", "crt: AAAA", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			s, err := config.LoadSecrets([]byte(tc.data))
			require.ErrorIs(t, err, config.ErrSecrets)
			require.Nil(t, s)

			if tc.text != "" {
				require.ErrorContains(t, err, tc.text)
			}
		})
	}
}

// TestNewSecrets creates a bundle (random, slow: one test), round-trips it and generates from
// it, including the talosconfig.
func TestNewSecrets(t *testing.T) {
	t.Parallel()

	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

	s, err := config.NewSecrets(created, talos.V1_13)
	require.NoError(t, err)
	require.Equal(t, created, s.CreatedAt())
	require.Len(t, s.ClusterID(), 44)
	require.Len(t, s.ClusterSecret(), 44)
	require.NotEqual(t, loadBench(t).ClusterID(), s.ClusterID())

	data, err := s.Marshal()
	require.NoError(t, err)

	loaded, err := config.LoadSecrets(data)
	require.NoError(t, err)

	// The JSON form of a new bundle loads too, to the same bundle.
	js, err := json.Marshal(s.Bundle())
	require.NoError(t, err)

	fromJSON, err := config.LoadSecrets(js)
	require.NoError(t, err)

	jsonYAML, err := fromJSON.Marshal()
	require.NoError(t, err)
	require.Equal(t, string(data), string(jsonYAML))

	again, err := loaded.Marshal()
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))

	c := demo()

	a, err := config.Generate(c, s)
	require.NoError(t, err)

	b, err := config.Generate(c, loaded)
	require.NoError(t, err)

	require.Equal(t, mustEncodeProvider(t, a.ControlPlane), mustEncodeProvider(t, b.ControlPlane))

	ta, err := config.Talosconfig(c, s, created)
	require.NoError(t, err)

	tb, err := config.Talosconfig(c, loaded, created)
	require.NoError(t, err)
	require.Equal(t, ta, tb)
}

func TestNewSecretsErrors(t *testing.T) {
	t.Parallel()

	_, err := config.NewSecrets(time.Now(), 0)
	require.ErrorIs(t, err, config.ErrNoContract)
	require.ErrorContains(t, err, "contract: talos version contract is required")

	_, err = config.NewSecrets(time.Now(), talos.Contract(99))
	require.ErrorIs(t, err, config.ErrUnknownContract)

	_, err = config.NewSecrets(time.Time{}, talos.V1_13)
	require.ErrorIs(t, err, config.ErrInvalid)
}

func TestNilSecrets(t *testing.T) {
	t.Parallel()

	var s *config.Secrets

	require.Empty(t, s.ClusterID())
	require.Empty(t, s.ClusterSecret())
	require.True(t, s.CreatedAt().IsZero())
	require.Nil(t, s.Bundle())

	_, err := s.Marshal()
	require.ErrorIs(t, err, config.ErrNoSecrets)
}

func mustEncodeProvider(t *testing.T, cfg coreconfig.Provider) string {
	t.Helper()

	out, err := config.Encode(cfg)
	require.NoError(t, err)

	return string(out)
}

// TestLoadSecretsJSON: the JSON form of machinery's bundle loads to the same secrets.
func TestLoadSecretsJSON(t *testing.T) {
	t.Parallel()

	s := loadBench(t)

	js, err := json.Marshal(s.Bundle())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(js), `{"Cluster":{"Id":`), "machinery's JSON field names")

	fromJSON, err := config.LoadSecrets(js)
	require.NoError(t, err)

	want, err := s.Marshal()
	require.NoError(t, err)

	got, err := fromJSON.Marshal()
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))

	_, err = config.LoadSecrets([]byte(`{"Cluster":{"Id":"x"},"Bogus":1}`))
	require.ErrorIs(t, err, config.ErrSecrets)
	require.ErrorContains(t, err, "Bogus")
}
