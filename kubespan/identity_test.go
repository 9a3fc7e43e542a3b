package kubespan_test

import (
	"bytes"
	"crypto/ecdh"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"testing"

	ksres "github.com/siderolabs/talos/pkg/machinery/resources/kubespan"
	netres "github.com/siderolabs/talos/pkg/machinery/resources/network"
	"github.com/stretchr/testify/require"
	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/talospatch/talospatch/internal/goldenfile"
	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/kubespan/sections"
)

// golden compares got with the golden file testdata/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func TestTalosVectors(t *testing.T) {
	t.Parallel()

	const clusterID = "8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo="
	subnet := kubespan.Subnet(clusterID)
	require.Equal(t, netip.MustParsePrefix("fd7f:175a:b97c:5602::/64"), subnet)

	for _, tc := range []struct{ mac, want string }{
		{"2e:1a:b6:53:81:69", "fd7f:175a:b97c:5602:2c1a:b6ff:fe53:8169/128"},
		{"00:1a:2b:3c:4d:5e", "fd7f:175a:b97c:5602:21a:2bff:fe3c:4d5e/128"},
		{"00:1a:2b:3c:4d:5e:6f:70", "fd7f:175a:b97c:5602:21a:2b3c:4d5e:6f70/128"},
	} {
		t.Run(tc.mac, func(t *testing.T) {
			t.Parallel()
			mac, err := net.ParseMAC(tc.mac)
			require.NoError(t, err)
			got, err := kubespan.Address(subnet, mac)
			require.NoError(t, err)
			require.Equal(t, netip.MustParsePrefix(tc.want), got)
		})
	}
}

func TestAddressErrors(t *testing.T) {
	t.Parallel()

	_, err := kubespan.Address(kubespan.Subnet("x"), net.HardwareAddr{1, 2, 3})
	require.ErrorIs(t, err, kubespan.ErrInvalidMAC)
	_, err = kubespan.Address(netip.MustParsePrefix("10.0.0.0/8"), net.HardwareAddr{1, 2, 3, 4, 5, 6})
	require.ErrorIs(t, err, kubespan.ErrInvalidSubnet)
}

func TestFirstMAC(t *testing.T) {
	t.Parallel()

	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	links := []kubespan.Link{
		{Name: "eth1", HardwareAddr: mac("00:00:00:00:00:02"), Physical: true},
		{Name: "bond0", HardwareAddr: mac("00:00:00:00:00:09"), Physical: false},
		{Name: "eth0", HardwareAddr: mac("00:00:00:00:00:01"), Physical: true},
		{Name: "dummy", Physical: true},
	}
	before := append([]kubespan.Link(nil), links...)
	got, err := kubespan.FirstMAC(links)
	require.NoError(t, err)
	require.Equal(t, mac("00:00:00:00:00:01"), got)
	require.Equal(t, before, links, "input modified")

	_, err = kubespan.FirstMAC(links[1:2])
	require.ErrorIs(t, err, kubespan.ErrNoPhysicalLink)
}

func TestKeys(t *testing.T) {
	t.Parallel()

	priv, err := kubespan.NewPrivateKey(seeded(1))
	require.NoError(t, err)
	require.Len(t, priv.String(), 44)
	require.Zero(t, priv[0]&7, "clamped low bits")
	require.Equal(t, byte(64), priv[31]&0xc0, "clamped high bits")

	pub, err := priv.PublicKey()
	require.NoError(t, err)

	// cross-check with crypto/ecdh directly
	k, err := ecdh.X25519().NewPrivateKey(priv[:])
	require.NoError(t, err)
	require.Equal(t, k.PublicKey().Bytes(), pub[:])

	again, err := kubespan.NewPrivateKey(seeded(1))
	require.NoError(t, err)
	require.Equal(t, priv, again, "same seed, same key")

	parsed, err := kubespan.ParseKey(pub.String())
	require.NoError(t, err)
	require.Equal(t, pub, parsed)

	_, err = kubespan.ParseKey("short")
	require.ErrorIs(t, err, kubespan.ErrInvalidKey)

	_, err = kubespan.NewPrivateKey(bytes.NewReader(make([]byte, 5)))
	require.Error(t, err)
}

// The RFC 7748 section 6.1 test vector: WireGuard keys are plain X25519.
func TestKeyRFC7748(t *testing.T) {
	t.Parallel()

	priv, err := kubespan.ParseKey("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=")
	require.NoError(t, err)
	pub, err := priv.PublicKey()
	require.NoError(t, err)
	require.Equal(t, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=", pub.String())
}

func TestIdentityFile(t *testing.T) {
	t.Parallel()

	priv, err := kubespan.NewPrivateKey(seeded(7))
	require.NoError(t, err)
	mac, _ := net.ParseMAC("2e:1a:b6:53:81:69")
	id, err := kubespan.NewIdentity("8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo=", mac, priv)
	require.NoError(t, err)

	full, err := kubespan.MarshalIdentityFile(id)
	require.NoError(t, err)
	golden(t, "identity-full.yaml", full)

	// what Talos writes: keys only
	keysOnly, err := kubespan.MarshalIdentityFile(kubespan.Identity{PrivateKey: id.PrivateKey, PublicKey: id.PublicKey})
	require.NoError(t, err)
	golden(t, "identity-talos.yaml", keysOnly)

	for _, data := range [][]byte{full, keysOnly} {
		back, err := kubespan.ParseIdentityFile(data)
		require.NoError(t, err)
		require.Equal(t, id.PrivateKey, back.PrivateKey)
		require.Equal(t, id.PublicKey, back.PublicKey)
	}
	back, err := kubespan.ParseIdentityFile(full)
	require.NoError(t, err)
	require.Equal(t, id, back)

	other, err := kubespan.NewPrivateKey(seeded(8))
	require.NoError(t, err)
	otherPub, err := other.PublicKey()
	require.NoError(t, err)
	_, err = kubespan.MarshalIdentityFile(kubespan.Identity{PrivateKey: id.PrivateKey, PublicKey: otherPub})
	require.NoError(t, err)
	mismatched, _ := kubespan.MarshalIdentityFile(kubespan.Identity{PrivateKey: id.PrivateKey, PublicKey: otherPub})
	_, err = kubespan.ParseIdentityFile(mismatched)
	require.ErrorIs(t, err, kubespan.ErrInvalidIdentity)

	_, err = kubespan.ParseIdentityFile([]byte("privateKey: [oops"))
	require.ErrorIs(t, err, kubespan.ErrInvalidIdentity)

	// the decoder's error is wrapped too, not only formatted
	_, err = kubespan.ParseIdentityFile([]byte("privateKey: [not, a, string]\n"))
	require.ErrorIs(t, err, kubespan.ErrInvalidIdentity)
	var te *yamlv3.TypeError
	require.ErrorAs(t, err, &te)
}

// TestIdentityFileMatchesTalos encodes Talos's own IdentitySpec with the YAML library Talos
// uses and compares bytes.
func TestIdentityFileMatchesTalos(t *testing.T) {
	t.Parallel()

	priv, err := kubespan.NewPrivateKey(seeded(9))
	require.NoError(t, err)
	mac, _ := net.ParseMAC("00:1a:2b:3c:4d:5e")
	id, err := kubespan.NewIdentity("cluster", mac, priv)
	require.NoError(t, err)

	for _, spec := range []ksres.IdentitySpec{
		{PrivateKey: id.PrivateKey.String(), PublicKey: id.PublicKey.String()},
		{Address: id.Address, Subnet: id.Subnet, PrivateKey: id.PrivateKey.String(), PublicKey: id.PublicKey.String()},
	} {
		var want bytes.Buffer
		enc := yamlv3.NewEncoder(&want)
		require.NoError(t, enc.Encode(spec))
		require.NoError(t, enc.Close())

		got, err := kubespan.MarshalIdentityFile(kubespan.Identity{Address: spec.Address, Subnet: spec.Subnet, PrivateKey: id.PrivateKey, PublicKey: id.PublicKey})
		require.NoError(t, err)
		require.Equal(t, want.String(), string(got))
	}
}

// TestSubnetMatchesMachinery cross-checks Subnet with machinery's ULAPrefix.
func TestSubnetMatchesMachinery(t *testing.T) {
	t.Parallel()

	rng := seeded(13)
	for range 200 {
		s, err := sections.NewClusterSecrets(rng)
		require.NoError(t, err)
		require.Equal(t, netres.ULAPrefix(s.ID, netres.ULAKubeSpan), kubespan.Subnet(s.ID))
	}
	require.Equal(t, netres.ULAPrefix("", netres.ULAKubeSpan), kubespan.Subnet(""))
}
