package install_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
)

// scanKeys are a real private key, PKCS #8 in PEM and DER.
var scanKeys = sync.OnceValue(func() (k struct {
	keyPEM string
	keyDER []byte
}) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		panic(err)
	}
	k.keyDER = der
	k.keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	return k
})

func configMap(name, data string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: ns\ndata:\n" + data
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

// TestHostedWrappedSecrets: the hosted method refuses a manifest whose objects carry a private
// key or a Secret however wrapped, and its error never shows the material.
func TestHostedWrappedSecrets(t *testing.T) {
	t.Parallel()

	k := scanKeys()
	std := base64.StdEncoding.EncodeToString([]byte(k.keyPEM))
	c := noProxy(v114())
	inCluster := render(t, c, "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})

	// The render alone is accepted: what is refused below is what was added.
	_, err := install.Hosted(c, inCluster, hostedURL, install.HostedOptions{})
	require.NoError(t, err)

	for name, doc := range map[string]string{
		"List":         "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: hidden, namespace: ns}, data: {a: YQ==}}\n",
		"base64 twice": configMap("twice", "  key: "+base64.StdEncoding.EncodeToString([]byte(std))+"\n"),
		"url-safe":     configMap("url", "  key: "+base64.RawURLEncoding.EncodeToString([]byte(k.keyPEM+"\xff\xfe"))+"\n"),
		"DER":          configMap("der", "  key: "+base64.StdEncoding.EncodeToString(k.keyDER)+"\n"),
		"folded":       configMap("folded", "  key: >\n"+indent(k.keyPEM, "    ")),
		"comment":      configMap("commented", "  a: b\n") + indent(k.keyPEM, "# "),
		"duplicate":    configMap("dup", "  key: "+std+"\n  key: plain\n"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			edited := *inCluster
			edited.YAML = append(slices.Clone(inCluster.YAML), "---\n"+doc...)

			_, err := install.Hosted(c, &edited, hostedURL, install.HostedOptions{})
			require.ErrorIs(t, err, install.ErrSecretsInManifest)
			require.NotContains(t, err.Error(), std[:40])
			require.NotContains(t, err.Error(), "PRIVATE KEY-----")
		})
	}
}
