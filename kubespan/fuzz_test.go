package kubespan_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/kubespan"
)

func FuzzParseEndpointFilter(f *testing.F) {
	for _, s := range []string{"0.0.0.0/0", "!192.168.0.0/16", "::/0", "10.0.0.1", "!fe80::1%eth0", "10.1.2.3/8", "!", "", "1.2.3.4/33", "!!10.0.0.0/8", "::ffff:10.0.0.1/128"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := kubespan.ParseEndpointFilter(s)
		if err != nil {
			require.ErrorIs(t, err, kubespan.ErrInvalidFilter)
			return
		}
		require.True(t, flt.Prefix.IsValid())
		// canonical text round-trips
		text, err := flt.MarshalText()
		require.NoError(t, err)
		var back kubespan.EndpointFilter
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, flt, back)
		// and matches like Talos: a bare address or CIDR, "!" negates
		addr := flt.Prefix.Addr()
		got := kubespan.FilterAddrs([]netip.Addr{addr}, []kubespan.EndpointFilter{flt})
		if flt.Negate {
			require.Empty(t, got)
		} else {
			require.Equal(t, []netip.Addr{addr}, got)
		}
	})
}

func FuzzParseIdentityFile(f *testing.F) {
	priv, err := kubespan.NewPrivateKey(seeded(21))
	require.NoError(f, err)
	pub, err := priv.PublicKey()
	require.NoError(f, err)
	good, err := kubespan.MarshalIdentityFile(kubespan.Identity{PrivateKey: priv, PublicKey: pub})
	require.NoError(f, err)
	f.Add(good)
	full, err := kubespan.MarshalIdentityFile(kubespan.Identity{
		Address: netip.MustParsePrefix("fd7f:175a:b97c:5602:2c1a:b6ff:fe53:8169/128"), Subnet: netip.MustParsePrefix("fd7f:175a:b97c:5602::/64"),
		PrivateKey: priv, PublicKey: pub,
	})
	require.NoError(f, err)
	f.Add(full)
	f.Add([]byte("privateKey: x\n"))
	f.Add([]byte(""))
	f.Add([]byte("address: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := kubespan.ParseIdentityFile(data)
		if err != nil {
			return
		}
		// a parsed identity is consistent and round-trips through the file format
		derived, err := id.PrivateKey.PublicKey()
		require.NoError(t, err)
		require.Equal(t, derived, id.PublicKey)
		out, err := kubespan.MarshalIdentityFile(id)
		require.NoError(t, err)
		back, err := kubespan.ParseIdentityFile(out)
		require.NoError(t, err)
		require.Equal(t, id, back)
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=")
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := kubespan.ParseKey(s)
		if err != nil {
			require.ErrorIs(t, err, kubespan.ErrInvalidKey)
			return
		}
		back, err := kubespan.ParseKey(k.String())
		require.NoError(t, err)
		require.Equal(t, k, back)
	})
}

func FuzzParsePeerStatuses(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "talosctl", "kubespanpeerstatuses.yaml"))
	require.NoError(f, err)
	f.Add(data)
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("metadata: {type: KubeSpanPeerStatuses.kubespan.talos.dev, id: k}\nspec: {state: up, endpoint: '[::1]:1'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := kubespan.ParsePeerStatuses(data)
		if err != nil {
			require.ErrorIs(t, err, kubespan.ErrInvalidResource)
			return
		}
		for _, r := range rows {
			require.NotEmpty(t, r.Value.ID)
			_, err := r.Value.State.MarshalText()
			require.NoError(t, err, "parsed state must be a known value")
		}
	})
}
