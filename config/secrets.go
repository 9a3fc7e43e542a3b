package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"go.yaml.in/yaml/v4"

	"github.com/talospatch/talospatch/talos"
)

// Secrets is a cluster's secrets bundle: the certificate authorities, keys and tokens every
// machine config of the cluster embeds, and the cluster id and secret (discovery and KubeSpan).
// It is the same bundle `talosctl gen secrets` writes.
//
// Secrets are required by every generating function and never generated implicitly: losing
// them means losing access to the cluster, so create them once with [NewSecrets], store them
// (they are sensitive) and load them with [LoadSecrets].
//
// A *Secrets is immutable and safe for concurrent use. The nil *Secrets is "no secrets" and
// makes every generating function fail with ErrNoSecrets.
type Secrets struct {
	bundle *secrets.Bundle
}

// NewSecrets creates a new, random secrets bundle for a cluster that runs the given Talos
// version contract (the contract chooses key types and encryption secrets). Its certificate
// authorities are valid for ten years from now (truncated to the second, as X.509 stores it;
// see [Secrets.CreatedAt]).
//
// The result is random: it reads crypto/rand and two calls never give the same bundle. It is
// also slow (an RSA-4096 service-account key: up to a second). Store it; do not call
// NewSecrets where the same secrets are expected next time.
func NewSecrets(now time.Time, contract talos.Contract) (*Secrets, error) {
	if err := contract.Check("contract"); err != nil {
		return nil, fmt.Errorf("create secrets: %w", err)
	}

	if now.IsZero() {
		return nil, fmt.Errorf("create secrets: %w: zero time", ErrInvalid)
	}

	b, err := secrets.NewBundle(secrets.NewFixedClock(now), versionContract(contract))
	if err != nil {
		return nil, fmt.Errorf("create secrets: %w", err)
	}

	return &Secrets{bundle: b}, nil
}

// LoadSecrets parses a secrets bundle in the YAML format of `talosctl gen secrets` (the
// format [Secrets.Marshal] writes) and checks it. It also reads the JSON form of machinery's
// bundle (secrets.Bundle encoded with encoding/json, as tools built on machinery store it):
// input that starts with '{' and is valid JSON is read as JSON.
//
// The bundle is refused, with the same checks for YAML and JSON, when it
//   - is empty, not one mapping (object), or more than one YAML document;
//   - has a key the bundle does not have (a misspelling such as "bootstraptokn"): keys are
//     matched exactly in YAML and as encoding/json matches them (case-insensitively) in JSON;
//   - lacks a value the bundle needs: cluster.id and .secret, secrets.bootstraptoken, one (and
//     only one) encryption secret, trustdinfo.token and the five certs;
//   - has a value of the wrong form: a bootstrap token that is not in Kubernetes' format
//     [a-z0-9]{6}.[a-z0-9]{16}; a cluster id or secret or an encryption secret that is not 32
//     bytes in base64 (standard base64; URL-safe base64 is also accepted for the cluster id,
//     which older Talos versions wrote); a certificate or key that is not base64 of PEM or does
//     not parse (a redacted "******" key says so).
//
// Each problem is a *talos.FieldError naming the field by its RFC 6901 pointer into the input
// as written ("/secrets/bootstraptoken" in YAML, "/Secrets/BootstrapToken" in JSON), saying
// what is wrong and the fix; all of them are reported, joined with talos.Join. Secret values
// are never quoted: the errors give their length and shape. Every error matches ErrSecrets.
func LoadSecrets(data []byte) (*Secrets, error) {
	trimmed := bytes.TrimSpace(data)
	isJSON := len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed)

	if len(trimmed) == 0 {
		return nil, fmt.Errorf("load secrets: %w: empty input", ErrSecrets)
	}

	decoded, err := decodeSecrets(data, isJSON)
	if err != nil {
		return nil, fmt.Errorf("load secrets: %w", err)
	}

	b := *decoded

	// What the checks above missed, machinery's own validation says.
	if err := b.Validate(coreconfig.TalosVersionCurrent); err != nil {
		return nil, fmt.Errorf("load secrets: %w: %w", ErrSecrets, err)
	}

	s := &Secrets{bundle: &b}

	created, err := s.createdAt()
	if err != nil {
		return nil, fmt.Errorf("load secrets: %w: %w", ErrSecrets, err)
	}

	// machinery's bundle needs a clock (Talosconfig panics without one); a fixed clock keeps
	// anything computed from it reproducible.
	b.Clock = secrets.NewFixedClock(created)

	return s, nil
}

// SecretsFromBundle returns the Secrets of a machinery secrets bundle, for example one that
// secrets.NewBundleFromConfig recovered from an existing machine config. The bundle's values
// are checked like [LoadSecrets] checks a file (errors match ErrSecrets and name the fields by
// their YAML keys, "/secrets/bootstraptoken") and copied: changing b afterwards does not
// change the result. Its clock is not used.
func SecretsFromBundle(b *secrets.Bundle) (*Secrets, error) {
	if b == nil {
		return nil, fmt.Errorf("secrets from bundle: %w", ErrNoSecrets)
	}

	// The checks of LoadSecrets, naming the fields by their YAML keys.
	if err := newSecretsCheck(false).checkValues(b); err != nil {
		return nil, fmt.Errorf("secrets from bundle: %w", err)
	}

	if err := b.Validate(coreconfig.TalosVersionCurrent); err != nil {
		return nil, fmt.Errorf("secrets from bundle: %w: %w", ErrSecrets, err)
	}

	s := &Secrets{bundle: cloneBundle(b)}

	if _, err := s.createdAt(); err != nil {
		return nil, fmt.Errorf("secrets from bundle: %w: %w", ErrSecrets, err)
	}

	return s, nil
}

// Marshal encodes the bundle in the YAML format of `talosctl gen secrets`. The output is
// sensitive. LoadSecrets(s.Marshal()) gives back an equal bundle and Marshal is stable: a
// bundle loaded from Marshal output marshals to the same bytes.
func (s *Secrets) Marshal() ([]byte, error) {
	if s.empty() {
		return nil, fmt.Errorf("marshal secrets: %w", ErrNoSecrets)
	}

	var buf bytes.Buffer

	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(4) // the layout talosctl writes

	if err := enc.Encode(s.bundle); err != nil {
		return nil, fmt.Errorf("marshal secrets: %w", err)
	}

	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal secrets: %w", err)
	}

	return buf.Bytes(), nil
}

// ClusterID returns the cluster id (cluster.id): 32 random bytes in URL-safe base64. It
// identifies the cluster to the discovery service and seeds the KubeSpan address prefix.
func (s *Secrets) ClusterID() string {
	if s.empty() || s.bundle.Cluster == nil {
		return ""
	}

	return s.bundle.Cluster.ID
}

// ClusterSecret returns the cluster secret (cluster.secret): 32 random bytes in standard
// base64. It encrypts discovery data and is every KubeSpan peer's pre-shared key.
func (s *Secrets) ClusterSecret() string {
	if s.empty() || s.bundle.Cluster == nil {
		return ""
	}

	return s.bundle.Cluster.Secret
}

// CreatedAt returns when the bundle was created: the start of the validity of its Talos API
// certificate authority. It is the zero time for the nil *Secrets.
func (s *Secrets) CreatedAt() time.Time {
	t, err := s.createdAt()
	if err != nil {
		return time.Time{}
	}

	return t
}

// Bundle returns a deep copy of the machinery secrets bundle, for calling machinery directly
// (for example generate.WithSecretsBundle). Its clock is fixed at [Secrets.CreatedAt].
// Changing the copy does not change s.
func (s *Secrets) Bundle() *secrets.Bundle {
	if s.empty() {
		return nil
	}

	return cloneBundle(s.bundle)
}

func (s *Secrets) empty() bool {
	return s == nil || s.bundle == nil
}

func (s *Secrets) createdAt() (time.Time, error) {
	if s.empty() {
		return time.Time{}, ErrNoSecrets
	}

	if s.bundle.Certs == nil || s.bundle.Certs.OS == nil {
		return time.Time{}, errors.New("certs.os is required")
	}

	crt, err := s.bundle.Certs.OS.GetCert()
	if err != nil {
		return time.Time{}, fmt.Errorf("certs.os: %w", err)
	}

	return crt.NotBefore.UTC(), nil
}

// cloneBundle deep-copies a bundle; the copy's clock is fixed at the Talos CA's NotBefore so
// that nothing reached through it reads the system clock.
func cloneBundle(b *secrets.Bundle) *secrets.Bundle {
	out := &secrets.Bundle{Clock: b.Clock}

	if b.Cluster != nil {
		c := *b.Cluster
		out.Cluster = &c
	}

	if b.Secrets != nil {
		sec := *b.Secrets
		out.Secrets = &sec
	}

	if b.TrustdInfo != nil {
		t := *b.TrustdInfo
		out.TrustdInfo = &t
	}

	if b.Certs != nil {
		out.Certs = &secrets.Certs{
			Etcd:              b.Certs.Etcd.DeepCopy(),
			K8s:               b.Certs.K8s.DeepCopy(),
			K8sAggregator:     b.Certs.K8sAggregator.DeepCopy(),
			K8sServiceAccount: b.Certs.K8sServiceAccount.DeepCopy(),
			OS:                b.Certs.OS.DeepCopy(),
		}
	}

	if out.Certs != nil && out.Certs.OS != nil {
		if crt, err := out.Certs.OS.GetCert(); err == nil {
			out.Clock = secrets.NewFixedClock(crt.NotBefore.UTC())
		}
	}

	return out
}
