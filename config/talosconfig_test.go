package config_test

import (
	stdx509 "crypto/x509"
	"testing"
	"time"

	"github.com/siderolabs/crypto/x509"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
)

// TestTalosconfigCAKeyTypes: the talosconfig is deterministic and verifies for every CA key
// type a bundle can hold (Talos makes Ed25519 CAs; older or imported bundles may have ECDSA).
func TestTalosconfigCAKeyTypes(t *testing.T) {
	t.Parallel()

	ecdsaCA, err := x509.NewSelfSignedCertificateAuthority(x509.ECDSA(true), x509.Organization("talos"),
		x509.NotBefore(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), x509.NotAfter(time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		ca   *x509.PEMEncodedCertificateAndKey
	}{
		{"ed25519", nil},
		{"ecdsa", &x509.PEMEncodedCertificateAndKey{Crt: ecdsaCA.CrtPEM, Key: ecdsaCA.KeyPEM}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			b := loadBench(t).Bundle()
			if tc.ca != nil {
				b.Certs.OS = tc.ca
			}

			s, err := config.SecretsFromBundle(b)
			require.NoError(t, err)

			first, err := config.Talosconfig(demo(), s, issued)
			require.NoError(t, err)

			second, err := config.Talosconfig(demo(), s, issued)
			require.NoError(t, err)
			require.Equal(t, first, second)

			ctx := first.Contexts["demo"]
			ca := parseCert(t, ctx.CA)
			crt := parseCert(t, ctx.Crt)
			require.NoError(t, crt.CheckSignatureFrom(ca))
			require.Equal(t, []string{"os:admin"}, crt.Subject.Organization)
			require.Equal(t, stdx509.Ed25519, crt.PublicKeyAlgorithm)

			_, err = crt.Verify(stdx509.VerifyOptions{
				Roots:       rootsOf(ca),
				CurrentTime: issued.Add(24 * time.Hour),
				KeyUsages:   []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth},
			})
			require.NoError(t, err)
		})
	}
}

func rootsOf(ca *stdx509.Certificate) *stdx509.CertPool {
	pool := stdx509.NewCertPool()
	pool.AddCert(ca)

	return pool
}

func TestSecretsFromBundle(t *testing.T) {
	t.Parallel()

	b := loadBench(t).Bundle()

	s, err := config.SecretsFromBundle(b)
	require.NoError(t, err)

	b.Cluster.ID = "changed"
	require.Equal(t, loadBench(t).ClusterID(), s.ClusterID(), "the bundle is copied")

	_, err = config.SecretsFromBundle(nil)
	require.ErrorIs(t, err, config.ErrNoSecrets)

	b.Certs.OS = nil
	_, err = config.SecretsFromBundle(b)
	require.ErrorIs(t, err, config.ErrSecrets)
}
