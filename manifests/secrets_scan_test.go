package manifests_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests"
)

// scanKeys are a real private key (PKCS #8 PEM and DER) and a certificate of it.
var scanKeys = sync.OnceValue(func() (k struct {
	keyPEM, certPEM string
	keyDER          []byte
}) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scan"}, NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		panic(err)
	}
	k.keyDER = der
	k.keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	k.certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}))
	return k
})

// wrap76 wraps s at 76 columns, each line with prefix.
func wrap76(s, prefix string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(prefix + s[:76] + "\n")
		s = s[76:]
	}

	b.WriteString(prefix + s + "\n")

	return b.String()
}

func configMap(name, data string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: ns\ndata:\n" + data
}

// TestFindManifestKeyMaterialWrapped: the check of a hosted manifest finds a private key
// however it is wrapped, names where and never shows the material.
func TestFindManifestKeyMaterialWrapped(t *testing.T) {
	t.Parallel()

	k := scanKeys()
	std := base64.StdEncoding.EncodeToString([]byte(k.keyPEM))
	kubeconfig := func(user string) string {
		return `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://1.2.3.4:6443"}}]
users:
- name: admin
  user:
` + user
	}

	tests := []struct {
		name     string
		manifest string
		object   string // the name of the object reported with a private key or as a Secret
	}{
		{"secret in List", `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: hidden, namespace: ns}
  data: {password: aHVudGVyMg==}
`, "hidden"},
		{"secret in SecretList", `apiVersion: v1
kind: SecretList
items:
- metadata: {name: hidden, namespace: ns}
  stringData: {password: hunter2}
`, "hidden"},
		{"base64", configMap("b64", "  key: "+std+"\n"), "b64"},
		{"base64 wrapped at 76", configMap("wrapped", "  key: |\n"+wrap76(std, "    ")), "wrapped"},
		{"base64 unpadded", configMap("unpadded", "  key: "+base64.RawStdEncoding.EncodeToString([]byte(k.keyPEM+"x"))+"\n"), "unpadded"},
		{"base64 url-safe", configMap("url", "  key: "+base64.RawURLEncoding.EncodeToString([]byte(k.keyPEM+"\xff\xfe"))+"\n"), "url"},
		{"base64 twice", configMap("twice", "  key: "+base64.StdEncoding.EncodeToString([]byte(std))+"\n"), "twice"},
		{"DER base64", configMap("der", "  key: "+base64.StdEncoding.EncodeToString(k.keyDER)+"\n"), "der"},
		{"kubeconfig client-key-data", configMap("kcd", "  kubeconfig: |\n"+indent(kubeconfig("    client-key-data: "+std+"\n"), "    ")), "kcd"},
		{"kubeconfig client-key", configMap("kck", "  kubeconfig: |\n"+indent(kubeconfig("    client-key: /etc/admin.key\n"), "    ")), "kck"},
		{"kubeconfig token", configMap("kct", "  kubeconfig: |\n"+indent(kubeconfig("    token: abcdef.0123456789abcdef\n"), "    ")), "kct"},
		{"kubeconfig base64 in data", configMap("kcb", "  kubeconfig: "+base64.StdEncoding.EncodeToString([]byte(kubeconfig("    token: abcdef.0123456789abcdef\n")))+"\n"), "kcb"},
		{"PEM split over list items", `apiVersion: example.com/v1
kind: Thing
metadata: {name: split, namespace: ns}
spec:
  parts:
` + func() string {
			var b strings.Builder
			for _, l := range strings.Split(strings.TrimSpace(k.keyPEM), "\n") {
				b.WriteString("  - \"" + l[:len(l)/2] + "\"\n  - \"" + l[len(l)/2:] + "\"\n")
			}

			return b.String()
		}(), "split"},
		{"PEM folded", configMap("folded", "  key: >\n"+indent(k.keyPEM, "    ")), "folded"},
		{"PEM in a comment", configMap("comment", "  other: value\n"+indent(k.keyPEM, "# ")), "comment"},
		{"base64 in a comment", configMap("b64comment", "  other: value\n# "+std+"\n"), "b64comment"},
		{"comment-only document", "---\n# " + std + "\n---\n" + configMap("after", "  a: b\n"), "0"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			found, err := manifests.FindManifestKeyMaterial([]byte(tt.manifest))
			require.NoError(t, err)

			var names []string
			for _, km := range found {
				if km.Secret || km.PrivateKey {
					names = append(names, km.Object.Name)
				}

				for _, key := range km.Keys {
					require.NotContains(t, key, "PRIVATE KEY-----\n", "never the material")
					require.NotContains(t, key, std[:40])
				}
			}

			require.Contains(t, names, tt.object, "%v", found)
		})
	}
}

// TestScanManifest: the raw scan finds what a YAML parser drops (duplicate keys, comments)
// and says where.
func TestScanManifest(t *testing.T) {
	t.Parallel()

	k := scanKeys()
	std := base64.StdEncoding.EncodeToString([]byte(k.keyPEM))

	manifest := configMap("first", "  a: b\n") + "---\n" + configMap("dup", "  key: "+std+"\n  key: benign\n") +
		"---\n" + configMap("comment", "  a: b # "+std+"\n") + "---\n" + configMap("twice", "  k: "+
		base64.StdEncoding.EncodeToString([]byte(std))+"\n")

	got := manifests.ScanManifest([]byte(manifest))
	require.Len(t, got, 3, "%v", got)

	require.Equal(t, 1, got[0].Document)
	require.Equal(t, 15, got[0].Line)
	require.Equal(t, "PEM private key, base64-encoded", got[0].What)

	require.Equal(t, 2, got[1].Document)
	require.Equal(t, "PEM private key, base64-encoded in a comment", got[1].What)
	require.NotNil(t, got[1].Object)
	require.Equal(t, "comment", got[1].Object.Name)

	// The YAML parser keeps one of the duplicate keys, the benign one: the raw bytes tell.
	dup := configMap("dup", "  key: "+std+"\n  key: benign\n")
	objs, err := manifests.ParseObjects([]byte(dup))
	require.NoError(t, err)
	require.Equal(t, "benign", objs[0].Object["data"].(map[string]any)["key"])

	found, err := manifests.FindManifestKeyMaterial([]byte(dup))
	require.NoError(t, err)
	require.Equal(t, []manifests.KeyMaterial{{
		Object:     manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "dup"},
		Keys:       []string{"document 0, line 7: PEM private key, base64-encoded"},
		PrivateKey: true,
	}}, found)

	require.Equal(t, 3, got[2].Document)
	require.Equal(t, "PEM private key, base64-encoded twice", got[2].What)
	require.Equal(t, "document 3 (v1 ConfigMap ns/twice), line 32: PEM private key, base64-encoded twice", got[2].String())
}

// TestScanManifestNegative: public certificates, random base64 and ordinary text are not
// private key material.
func TestScanManifestNegative(t *testing.T) {
	t.Parallel()

	k := scanKeys()
	random := make([]byte, 3000)
	_, _ = rand.Read(random)

	tests := map[string]string{
		"certificate":                configMap("cert", "  ca.crt: |\n"+indent(k.certPEM, "    ")),
		"certificate base64":         configMap("cert", "  ca.crt: "+base64.StdEncoding.EncodeToString([]byte(k.certPEM))+"\n"),
		"certificate base64 twice":   configMap("cert", "  ca.crt: "+base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte(k.certPEM))))+"\n"),
		"certificate in a comment":   configMap("cert", "  a: b\n"+indent(k.certPEM, "# ")),
		"random base64":              configMap("random", "  blob: "+base64.StdEncoding.EncodeToString(random)+"\n"),
		"random base64 wrapped":      configMap("random", "  blob: |\n"+wrap76(base64.StdEncoding.EncodeToString(random), "    ")),
		"random url-safe":            configMap("random", "  blob: "+base64.RawURLEncoding.EncodeToString(random)+"\n"),
		"words about private keys":   configMap("doc", "  text: the PRIVATE KEY of the server stays on it\n"),
		"kubeconfig without secrets": configMap("kc", "  kubeconfig: |\n    users:\n    - name: a\n      user:\n        exec: {command: aws}\n"),
	}

	for name, manifest := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			require.Empty(t, manifests.ScanManifest([]byte(manifest)))

			found, err := manifests.FindManifestKeyMaterial([]byte(manifest))
			require.NoError(t, err)

			for _, km := range found {
				require.False(t, km.Secret || km.PrivateKey, "%v", km)
			}
		})
	}
}

// TestFindManifestKeyMaterialCilium: for Cilium renders the check of the manifest's bytes
// reports what Rendered.KeyMaterial reports: nothing private with certificates made in the
// cluster, the Secrets of the Helm-made certificates otherwise.
func TestFindManifestKeyMaterialCilium(t *testing.T) {
	t.Parallel()

	for _, version := range shippedCharts {
		for _, inCluster := range []bool{true, false} {
			t.Run(version, func(t *testing.T) {
				t.Parallel()

				ch := loadCilium(t, version)

				r, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion,
					manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: inCluster}, manifests.RenderOptions{})
				require.NoError(t, err)

				found, err := manifests.FindManifestKeyMaterial(r.YAML)
				require.NoError(t, err)
				require.Equal(t, r.KeyMaterial, found)

				if inCluster {
					require.Empty(t, manifests.ScanManifest(r.YAML))

					for _, km := range found {
						require.False(t, km.Secret || km.PrivateKey, "%v", km)
					}
				} else {
					require.NotEmpty(t, manifests.ScanManifest(r.YAML))
				}
			})
		}
	}
}
