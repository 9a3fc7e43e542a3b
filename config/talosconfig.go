package config

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	stdx509 "crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	cryptox509 "github.com/siderolabs/crypto/x509"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/role"
)

// TalosconfigValidity is how long the admin client certificate of a talosconfig is valid: one
// year, as talosctl issues it.
const TalosconfigValidity = constants.TalosAPIDefaultCertificateValidityDuration

// Talosconfig returns the talosctl client configuration of cluster c: one context named after
// the cluster, with the cluster's TalosEndpoints, the Talos API CA of s and an admin ("os:admin")
// client certificate valid from issuedAt for [TalosconfigValidity].
//
// Unlike talosctl it is deterministic: the client key and the certificate serial are derived
// from the Talos CA key, the cluster name, the role and issuedAt (HKDF-SHA256), and the
// signature is deterministic, so the same inputs give the same bytes. issuedAt is a parameter
// so that nothing reads the clock; pass time.Now() for a fresh certificate, or a stored time
// for reproducible output.
func Talosconfig(c Cluster, s *Secrets, issuedAt time.Time) (*clientconfig.Config, error) {
	in, err := newInput(c, s)
	if err != nil {
		return nil, fmt.Errorf("generate talosconfig: %w", err)
	}

	if issuedAt.IsZero() {
		return nil, fmt.Errorf("generate talosconfig: %w", fieldErr("issuedAt", "", fmt.Errorf("%w: zero time", ErrInvalid)))
	}

	b := in.secrets.bundle
	roles := role.MakeSet(role.Admin)

	client, err := adminCertificate(b.Certs.OS, in.cluster.Name, roles, issuedAt.UTC())
	if err != nil {
		return nil, fmt.Errorf("generate talosconfig: %w", err)
	}

	return clientconfig.NewConfig(in.cluster.Name, slices.Clone(in.cluster.TalosEndpoints), slices.Clone(b.Certs.OS.Crt), client), nil
}

// EncodeTalosconfig encodes a talosconfig as YAML, as talosctl writes it.
func EncodeTalosconfig(tc *clientconfig.Config) ([]byte, error) {
	if tc == nil {
		return nil, fmt.Errorf("encode talosconfig: %w: nil talosconfig", ErrInvalid)
	}

	out, err := tc.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode talosconfig: %w", err)
	}

	return out, nil
}

// adminCertificate issues the talosconfig client certificate: the template of machinery's
// secrets.NewAdminCertificateAndKey (organizations = roles, digital signature, client auth),
// with an Ed25519 key and a serial derived from the CA key, and a deterministic signature.
func adminCertificate(ca *cryptox509.PEMEncodedCertificateAndKey, clusterName string, roles role.Set, issuedAt time.Time) (*cryptox509.PEMEncodedCertificateAndKey, error) {
	caCrt, err := ca.GetCert()
	if err != nil {
		return nil, fmt.Errorf("talos api ca certificate: %w", err)
	}

	caKey, err := ca.GetKey()
	if err != nil {
		return nil, fmt.Errorf("talos api ca key: %w", err)
	}

	signer, ok := caKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("talos api ca key: %w: %T is not a signing key", ErrSecrets, caKey)
	}

	caKeyDER, err := stdx509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return nil, fmt.Errorf("talos api ca key: %w", err)
	}

	// info binds the derived material to what the certificate says.
	info := make([]byte, 0, 128)
	info = append(info, "talospatch talosconfig admin v1\x00"...)
	info = append(info, clusterName...)
	info = append(info, 0)

	for _, r := range roles.Strings() {
		info = append(info, r...)
		info = append(info, 0)
	}

	info = binary.BigEndian.AppendUint64(info, uint64(issuedAt.Unix()))

	material, err := hkdf.Key(sha256.New, caKeyDER, nil, string(info), ed25519.SeedSize+16)
	if err != nil {
		return nil, fmt.Errorf("derive client key: %w", err)
	}

	clientKey := ed25519.NewKeyFromSeed(material[:ed25519.SeedSize])

	serialBytes := material[ed25519.SeedSize:]
	serialBytes[0] &= 0x7f // positive, at most 127 bits

	serial := new(big.Int).SetBytes(serialBytes)
	if serial.Sign() == 0 {
		serial.SetInt64(1)
	}

	template := &stdx509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: roles.Strings()},
		NotBefore:             issuedAt,
		NotAfter:              issuedAt.Add(TalosconfigValidity),
		KeyUsage:              stdx509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: false,
	}

	der, err := stdx509.CreateCertificate(noRandom{}, template, caCrt, clientKey.Public(), deterministicSigner{signer})
	if err != nil {
		return nil, fmt.Errorf("sign client certificate: %w", err)
	}

	keyDER, err := stdx509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		return nil, fmt.Errorf("encode client key: %w", err)
	}

	return &cryptox509.PEMEncodedCertificateAndKey{
		Crt: pem.EncodeToMemory(&pem.Block{Type: cryptox509.PEMTypeCertificate, Bytes: der}),
		Key: pem.EncodeToMemory(&pem.Block{Type: cryptox509.PEMTypeEd25519Private, Bytes: keyDER}),
	}, nil
}

// deterministicSigner signs without randomness: Ed25519 and RSA PKCS #1 v1.5 are
// deterministic, and ECDSA signs per RFC 6979 when given no random source.
type deterministicSigner struct{ crypto.Signer }

func (s deterministicSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.Signer.Sign(nil, digest, opts) // nil selects deterministic signing
}

// noRandom fails any read: certificate creation must not need randomness here.
type noRandom struct{}

func (noRandom) Read([]byte) (int, error) {
	return 0, fmt.Errorf("%w: unexpected read of randomness", ErrInvalid)
}
