package manifests_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/talospatch/talospatch/manifests"
)

const testPEMCert = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUJ0o1ZbcW3Y0cZ7m0n6o3oQ2v0s8wCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
`

const testPEMKey = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIBkg4LVWM9nuwNSk3yXxDROEBzCFsvb3kfXLY9Xg+ozKoAoGCCqGSM49
-----END EC PRIVATE KEY-----
`

func b64(s string) string {
	return base64Std(s)
}

func TestFindKeyMaterial(t *testing.T) {
	t.Parallel()

	objs, err := manifests.ParseObjects([]byte(`apiVersion: v1
kind: Secret
metadata: {name: plain, namespace: ns}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: ns}
type: kubernetes.io/tls
data:
  ca.crt: ` + b64(testPEMCert) + `
  tls.key: ` + b64(testPEMKey) + `
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ca, namespace: ns}
data:
  ca.crt: |
` + indent(testPEMCert, "    ") + `  other: value
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: hook}
webhooks:
- name: a
  clientConfig:
    caBundle: ` + b64(testPEMCert) + `
---
apiVersion: v1
kind: ConfigMap
metadata: {name: named, namespace: ns}
data:
  client.key: opaque
  other.crt: not-pem
`))
	require.NoError(t, err)

	got := manifests.FindKeyMaterial(objs)
	want := []manifests.KeyMaterial{
		{Object: manifests.ObjectRef{APIVersion: "v1", Kind: "Secret", Namespace: "ns", Name: "plain"}, Keys: []string{"password"}, Secret: true},
		{Object: manifests.ObjectRef{APIVersion: "v1", Kind: "Secret", Namespace: "ns", Name: "tls"}, Keys: []string{"ca.crt", "tls.key"}, Secret: true, PrivateKey: true},
		{Object: manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "ca"}, Keys: []string{"ca.crt"}},
		{Object: manifests.ObjectRef{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration", Name: "hook"}, Keys: []string{"/webhooks/0/clientConfig/caBundle"}},
		{Object: manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "named"}, Keys: []string{"client.key"}, PrivateKey: true},
	}

	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("key material (-want +got):\n%s", diff)
	}

	require.Equal(t, "v1 Secret ns/tls (ca.crt, tls.key)", got[1].String())
	require.Equal(t, "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration hook", got[3].Object.String())
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")

	var b strings.Builder

	for _, l := range lines {
		if l == "" {
			continue
		}

		b.WriteString(prefix + l)
	}

	return b.String()
}

func TestReuseKeyMaterial(t *testing.T) {
	t.Parallel()

	parse := func(caCrt, key, label string) []*unstructured.Unstructured {
		objs, err := manifests.ParseObjects([]byte(`apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: ns, labels: {l: ` + label + `}}
data:
  ca.crt: ` + caCrt + `
  tls.key: ` + key + `
  plain: ` + b64(label) + `
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: ns}
data: {k: v}
`))
		require.NoError(t, err)

		return objs
	}

	oldCert := b64(testPEMCert)
	newCert := b64(strings.Replace(testPEMCert, "MIIB", "MIIC", 1))
	previous := parse(oldCert, b64(testPEMKey), "old")
	current := parse(newCert, b64(strings.Replace(testPEMKey, "MHcC", "MHcD", 1)), "new")
	before := current[0].DeepCopy()

	out, reused := manifests.ReuseKeyMaterial(current, previous)

	require.Equal(t, []manifests.ObjectRef{{APIVersion: "v1", Kind: "Secret", Namespace: "ns", Name: "tls"}}, reused)
	require.Equal(t, before, current[0], "input objects must not be modified")
	require.Same(t, current[1], out[1], "objects without key material are passed through")

	data, _, _ := unstructured.NestedStringMap(out[0].Object, "data")
	require.Equal(t, oldCert, data["ca.crt"])
	require.Equal(t, b64(testPEMKey), data["tls.key"])
	require.Equal(t, b64("new"), data["plain"], "non-key data follows the new render")
	require.Equal(t, "new", out[0].GetLabels()["l"])
}

// TestDeterministicCertificatesInCluster: Hubble TLS by cronJob gives no Secrets and the same
// bytes on every run, for every shipped chart.
func TestDeterministicCertificatesInCluster(t *testing.T) {
	t.Parallel()

	for _, version := range shippedCharts {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			ch := loadCilium(t, version)
			copts := manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}

			first, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion, copts, manifests.RenderOptions{Deterministic: true})
			require.NoError(t, err)

			second, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion, copts, manifests.RenderOptions{Deterministic: true})
			require.NoError(t, err)

			require.Equal(t, string(first.YAML), string(second.YAML))

			for _, km := range first.KeyMaterial {
				require.False(t, km.Secret, "no Secrets expected, got %s", km)
			}
		})
	}
}

// TestDeterministicRefusesGeneratedCertificates: with certificates made by Helm, a
// deterministic render without a previous render fails and names the Secrets.
func TestDeterministicRefusesGeneratedCertificates(t *testing.T) {
	t.Parallel()

	for _, version := range shippedCharts {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			ch := loadCilium(t, version)

			r, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion, manifests.CiliumOptions{}, manifests.RenderOptions{Deterministic: true})
			require.Nil(t, r, "no partial result")
			require.ErrorIs(t, err, manifests.ErrNondeterministic)

			var nd *manifests.NondeterministicError
			require.True(t, errors.As(err, &nd))
			require.NotEmpty(t, nd.Objects)
			require.Contains(t, err.Error(), "hubble-server-certs")
			require.Contains(t, err.Error(), "cronJob")
		})
	}
}

// TestReuseAcrossRenders: a render with certificates made by Helm, passed back as Previous,
// gives byte-identical output in deterministic mode, for every shipped chart, also with
// Hubble relay on (more Secrets) and in another namespace.
func TestReuseAcrossRenders(t *testing.T) {
	t.Parallel()

	for _, version := range shippedCharts {
		for _, ns := range []string{"", "cilium"} {
			t.Run(version+"/"+ns, func(t *testing.T) {
				t.Parallel()

				ch := loadCilium(t, version)
				copts := manifests.CiliumOptions{KubeProxyDisabled: true}
				opts := manifests.RenderOptions{Namespace: ns, Set: []string{"hubble.relay.enabled=true"}}

				first, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion, copts, opts)
				require.NoError(t, err)

				var secrets []string
				for _, km := range first.KeyMaterial {
					if km.Secret && km.PrivateKey {
						secrets = append(secrets, km.Object.Name)
					}
				}

				require.Contains(t, secrets, "hubble-server-certs")
				require.Contains(t, secrets, "hubble-relay-client-certs")

				opts.Previous = first.Objects
				opts.Deterministic = true

				second, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion, copts, opts)
				require.NoError(t, err)
				require.Equal(t, string(first.YAML), string(second.YAML), "re-render of an unchanged cluster must change nothing")
				if version < "1.18" {
					// Older charts do not look up their leaf certificates: the reuse step
					// takes them from the previous render.
					require.NotEmpty(t, second.Reused)
				}

				// Previous objects read back from YAML (as a caller stores them) work the same.
				stored, err := manifests.ParseObjects(first.YAML)
				require.NoError(t, err)

				opts.Previous = stored
				third, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion, copts, opts)
				require.NoError(t, err)
				require.Equal(t, string(first.YAML), string(third.YAML))
			})
		}
	}
}

// TestLookupSeesPrevious: the chart's lookup finds objects of the previous render.
func TestLookupSeesPrevious(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{
		"cm.yaml": `{{- $old := lookup "v1" "ConfigMap" .Release.Namespace "state" }}
{{- $all := lookup "v1" "ConfigMap" "" "" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: state
data:
  token: {{ if $old }}{{ index $old.data "token" | quote }}{{ else }}"fresh"{{ end }}
  count: {{ if $all }}{{ len $all.items | quote }}{{ else }}"0"{{ end }}
  missing: {{ lookup "v1" "Secret" "x" "y" | len | quote }}
`,
	}, "")

	first, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err)

	data, _, _ := unstructured.NestedStringMap(first.Objects[0].Object, "data")
	require.Equal(t, map[string]string{"token": "fresh", "count": "0", "missing": "0"}, data)

	prev := first.Objects[0].DeepCopy()
	require.NoError(t, unstructured.SetNestedField(prev.Object, "kept", "data", "token"))
	other := prev.DeepCopy()
	other.SetNamespace("elsewhere")

	second, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Previous: []*unstructured.Unstructured{prev, other}})
	require.NoError(t, err)

	data, _, _ = unstructured.NestedStringMap(second.Objects[0].Object, "data")
	require.Equal(t, map[string]string{"token": "kept", "count": "2", "missing": "0"}, data)
	require.Equal(t, "kept", prev.Object["data"].(map[string]any)["token"], "previous objects must not be modified")
}

// certChart makes a CA during the render unless one is given in values.
func certChart() *chart.Chart {
	return tinyChart(map[string]string{"secret.yaml": `{{- $ca := genCA "tiny-ca" 365 }}
apiVersion: v1
kind: Secret
metadata:
  name: tiny-ca
type: kubernetes.io/tls
data:
  tls.crt: {{ .Values.caCert | default $ca.Cert | b64enc }}
  tls.key: {{ .Values.caKey | default $ca.Key | b64enc }}
`}, "")
}

// TestReusePreviousWithoutNamespace: previous objects as `helm template` prints them (no
// namespace) are taken to be in the release namespace.
func TestReusePreviousWithoutNamespace(t *testing.T) {
	t.Parallel()

	ch := certChart()
	opts := manifests.RenderOptions{Namespace: "apps"}

	first, err := manifests.Render(context.Background(), ch, testKubeVersion, opts)
	require.NoError(t, err)

	previous, err := manifests.ParseObjects(first.HelmOutput)
	require.NoError(t, err)
	require.Empty(t, previous[0].GetNamespace())

	opts.Previous = previous
	opts.Deterministic = true

	second, err := manifests.Render(context.Background(), ch, testKubeVersion, opts)
	require.NoError(t, err)
	require.Equal(t, string(first.YAML), string(second.YAML))
	require.Equal(t, []manifests.ObjectRef{{APIVersion: "v1", Kind: "Secret", Namespace: "apps", Name: "tiny-ca"}}, second.Reused)
	require.Empty(t, previous[0].GetNamespace(), "previous objects must not be modified")
}

// TestReuseValuesWin: key material given in values replaces the previous one, and counts as
// deterministic.
func TestReuseValuesWin(t *testing.T) {
	t.Parallel()

	ch := certChart()

	first, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err)

	opts := manifests.RenderOptions{
		Previous:      first.Objects,
		Deterministic: true,
		Values:        map[string]any{"caCert": testPEMCert, "caKey": testPEMKey},
	}

	second, err := manifests.Render(context.Background(), ch, testKubeVersion, opts)
	require.NoError(t, err)
	require.Empty(t, second.Reused)

	data, _, _ := unstructured.NestedStringMap(second.Objects[0].Object, "data")
	require.Equal(t, b64(testPEMCert), data["tls.crt"])
	require.Equal(t, b64(testPEMKey), data["tls.key"])
}
