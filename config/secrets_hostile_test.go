package config_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v4"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// bundleJSONKeys are the JSON keys of machinery's secrets.Bundle by YAML key.
var bundleJSONKeys = map[string]string{
	"cluster": "Cluster", "id": "Id", "secret": "Secret",
	"secrets": "Secrets", "bootstraptoken": "BootstrapToken",
	"secretboxencryptionsecret": "SecretboxEncryptionSecret", "aescbcencryptionsecret": "AESCBCEncryptionSecret",
	"trustdinfo": "TrustdInfo", "token": "Token",
	"certs": "Certs", "etcd": "Etcd", "k8s": "K8s", "k8saggregator": "K8sAggregator",
	"k8sserviceaccount": "K8sServiceAccount", "os": "OS", "crt": "Crt", "key": "Key",
}

// secretsFormat is the bench bundle in one of the formats LoadSecrets reads, as a generic
// tree to change and encode.
type secretsFormat struct {
	name   string
	keys   func(yamlKeys []string) []string // the format's keys for the YAML keys
	tree   func(t *testing.T) map[string]any
	encode func(t *testing.T, tree map[string]any) []byte
}

var secretsFormats = []secretsFormat{
	{
		name: "yaml",
		keys: func(k []string) []string { return k },
		tree: func(t *testing.T) map[string]any {
			var tree map[string]any
			require.NoError(t, yaml.Unmarshal(benchSecrets(t), &tree))

			return tree
		},
		encode: func(t *testing.T, tree map[string]any) []byte {
			out, err := yaml.Marshal(tree)
			require.NoError(t, err)

			return out
		},
	},
	{
		name: "json",
		keys: func(k []string) []string {
			out := make([]string, len(k))
			for i, key := range k {
				out[i] = key
				if j, ok := bundleJSONKeys[key]; ok {
					out[i] = j
				}
			}

			return out
		},
		tree: func(t *testing.T) map[string]any {
			js, err := json.Marshal(loadBench(t).Bundle())
			require.NoError(t, err)

			var tree map[string]any
			require.NoError(t, json.Unmarshal(js, &tree))

			return tree
		},
		encode: func(t *testing.T, tree map[string]any) []byte {
			out, err := json.MarshalIndent(tree, "", "  ")
			require.NoError(t, err)

			return out
		},
	},
}

// secretsEdit changes the bundle tree at a path of keys (YAML keys; the format's are used).
type secretsEdit struct {
	path   []string
	value  any    // the new value; ignored with del or rename
	del    bool   // remove the key
	rename string // move the value to this key (YAML form; the format's is used)
}

func (e secretsEdit) apply(t *testing.T, f secretsFormat, tree map[string]any) {
	t.Helper()

	keys := f.keys(e.path)
	m := tree

	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		require.True(t, ok, "no mapping at %q", k)

		m = next
	}

	last := keys[len(keys)-1]

	switch {
	case e.del:
		delete(m, last)
	case e.rename != "":
		m[f.keys([]string{e.rename})[0]] = m[last]
		delete(m, last)
	default:
		m[last] = e.value
	}
}

// fieldErrors returns the *talos.FieldError values in err's tree.
func fieldErrors(err error) []*talos.FieldError {
	var out []*talos.FieldError

	var fe *talos.FieldError
	if errors.As(err, &fe) && fe == err {
		return []*talos.FieldError{fe}
	}

	switch u := err.(type) { // walking the tree by hand
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, fieldErrors(e)...)
		}
	case interface{ Unwrap() error }:
		out = append(out, fieldErrors(u.Unwrap())...)
	}

	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestLoadSecretsRefusesMalformed: each kind of malformed secret material is refused, in YAML
// and in JSON, with a *talos.FieldError that names the field as written, says what is wrong and
// the fix, and does not quote the secret.
func TestLoadSecretsRefusesMalformed(t *testing.T) {
	t.Parallel()

	const badToken = "ABCDEF.0123456789abcdef"

	cases := []struct {
		name   string
		edits  []secretsEdit
		path   []string // YAML keys of the field the error names
		text   string   // in the error
		fix    string   // in the error's Fix
		secret string   // never in the error
	}{
		{"bootstrap token uppercase", []secretsEdit{{path: []string{"secrets", "bootstraptoken"}, value: badToken}},
			[]string{"secrets", "bootstraptoken"}, "format [a-z0-9]{6}.[a-z0-9]{16}: it has 23 characters in dot-separated parts of 6, 16, with uppercase letters", "lowercase letters and digits", badToken},
		{"bootstrap token without dot", []secretsEdit{{path: []string{"secrets", "bootstraptoken"}, value: "abcdef0123456789abcdefg"}},
			[]string{"secrets", "bootstraptoken"}, "23 characters and no dot", "joined by a dot", "abcdef0123456789abcdefg"},
		{"bootstrap token too short", []secretsEdit{{path: []string{"secrets", "bootstraptoken"}, value: "abc.def"}},
			[]string{"secrets", "bootstraptoken"}, "7 characters in dot-separated parts of 3, 3", "", "abc.def"},
		{"bootstrap token with space", []secretsEdit{{path: []string{"secrets", "bootstraptoken"}, value: "abcdef.0123456789abcde "}},
			[]string{"secrets", "bootstraptoken"}, "with white space", "", "0123456789abcde"},
		{"bootstrap token missing", []secretsEdit{{path: []string{"secrets", "bootstraptoken"}, del: true}},
			[]string{"secrets", "bootstraptoken"}, "the bootstrap token is missing", "--from-controlplane-config", ""},
		{"cluster secret short", []secretsEdit{{path: []string{"cluster", "secret"}, value: b64("sixteen bytes!!!")}},
			[]string{"cluster", "secret"}, "the cluster secret is 16 bytes in base64 (24 characters), want 32 bytes", "32 random bytes in standard base64 (44 characters", b64("sixteen bytes!!!")},
		{"cluster secret not base64", []secretsEdit{{path: []string{"cluster", "secret"}, value: "not base64 at all, but a passphrase"}},
			[]string{"cluster", "secret"}, "the cluster secret is not base64 (35 characters)", "talosctl gen secrets", "passphrase"},
		{"cluster secret url-safe", []secretsEdit{{path: []string{"cluster", "secret"}, value: "-_-_" + strings.Repeat("A", 39) + "="}},
			[]string{"cluster", "secret"}, "the cluster secret is not base64", "", "-_-_"},
		{"cluster id long", []secretsEdit{{path: []string{"cluster", "id"}, value: b64(strings.Repeat("x", 33))}},
			[]string{"cluster", "id"}, "the cluster id is 33 bytes in base64", "", b64(strings.Repeat("x", 33))},
		{"cluster id missing", []secretsEdit{{path: []string{"cluster", "id"}, del: true}},
			[]string{"cluster", "id"}, "the cluster id is missing", "", ""},
		{"cluster missing", []secretsEdit{{path: []string{"cluster"}, del: true}},
			[]string{"cluster"}, "the cluster section (cluster id and secret) is missing", "", ""},
		{"cluster not a mapping", []secretsEdit{{path: []string{"cluster"}, value: "id-and-secret"}},
			[]string{"cluster"}, "want a", "", "id-and-secret"},
		{"token a list", []secretsEdit{{path: []string{"secrets", "bootstraptoken"}, value: []any{"abcdef.0123456789abcdef"}}},
			[]string{"secrets", "bootstraptoken"}, "want a string, found", "", "0123456789abcdef"},
		{"encryption secret short", []secretsEdit{{path: []string{"secrets", "secretboxencryptionsecret"}, value: b64("short")}},
			[]string{"secrets", "secretboxencryptionsecret"}, "the secretbox encryption secret is 5 bytes in base64", "", b64("short")},
		{"two encryption secrets", []secretsEdit{{path: []string{"secrets", "aescbcencryptionsecret"}, value: b64(strings.Repeat("k", 32))}},
			[]string{"secrets", "aescbcencryptionsecret"}, "two encryption secrets", "remove the other", b64(strings.Repeat("k", 32))},
		{"no encryption secret", []secretsEdit{{path: []string{"secrets", "secretboxencryptionsecret"}, del: true}},
			[]string{"secrets", "secretboxencryptionsecret"}, "an encryption secret is missing", "", ""},
		{"trustd token missing", []secretsEdit{{path: []string{"trustdinfo", "token"}, value: ""}},
			[]string{"trustdinfo", "token"}, "the trustd token is missing", "", ""},
		{"misspelt top-level key", []secretsEdit{{path: []string{"secrets"}, rename: "secretz"}},
			[]string{"secretz"}, `unknown key "`, `did you mean "`, ""},
		{"misspelt nested key", []secretsEdit{{path: []string{"secrets", "bootstraptoken"}, rename: "bootstraptokn"}},
			[]string{"secrets", "bootstraptokn"}, `unknown key "`, `did you mean "`, "43cqur.b7it2n9hd3sxp9um"},
		{"misspelt certificate key", []secretsEdit{{path: []string{"certs", "os", "crt"}, rename: "cert"}},
			[]string{"certs", "os", "cert"}, `unknown key "`, "", ""},
		{"unrelated key", []secretsEdit{{path: []string{"kubeconfig"}, value: "x"}},
			[]string{"kubeconfig"}, `unknown key "kubeconfig" on line `, "the keys here are ", ""},
		{"certificate not base64", []secretsEdit{{path: []string{"certs", "etcd", "crt"}, value: "-----BEGIN CERTIFICATE-----"}},
			[]string{"certs", "etcd", "crt"}, "the etcd CA certificate is not base64", "base64 of a PEM certificate", ""},
		{"certificate not PEM", []secretsEdit{{path: []string{"certs", "k8s", "crt"}, value: b64("not a certificate")}},
			[]string{"certs", "k8s", "crt"}, "the Kubernetes CA certificate is not PEM: its base64 decodes to 17 bytes without a PEM block", "", ""},
		{"certificate is a key", []secretsEdit{{path: []string{"certs", "k8saggregator", "crt"}, value: b64("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")}},
			[]string{"certs", "k8saggregator", "crt"}, `a PEM "EC PRIVATE KEY" block, want CERTIFICATE`, "", ""},
		{"certificate garbage in PEM", []secretsEdit{{path: []string{"certs", "os", "crt"}, value: b64("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}},
			[]string{"certs", "os", "crt"}, "the Talos API CA certificate does not parse", "", ""},
		{"key not PEM", []secretsEdit{{path: []string{"certs", "os", "key"}, value: b64("secret key material")}},
			[]string{"certs", "os", "key"}, "the Talos API CA key is not PEM", "PEM private key", "secret key material"},
		{"key garbage in PEM", []secretsEdit{{path: []string{"certs", "etcd", "key"}, value: b64("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")}},
			[]string{"certs", "etcd", "key"}, `the etcd CA key (a PEM "EC PRIVATE KEY" block) does not parse`, "", "AAAA"},
		{"service account key not PEM", []secretsEdit{{path: []string{"certs", "k8sserviceaccount", "key"}, value: b64("x")}},
			[]string{"certs", "k8sserviceaccount", "key"}, "the Kubernetes service account key is not PEM", "", ""},
		{"redacted key", []secretsEdit{{path: []string{"certs", "os", "key"}, value: "******"}},
			[]string{"certs", "os", "key"}, "redacted", "load the original bundle", ""},
		{"service account missing", []secretsEdit{{path: []string{"certs", "k8sserviceaccount"}, del: true}},
			[]string{"certs", "k8sserviceaccount"}, "the Kubernetes service account is missing", "", ""},
	}

	for _, f := range secretsFormats {
		for _, tc := range cases {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()

				tree := f.tree(t)
				for _, e := range tc.edits {
					e.apply(t, f, tree)
				}

				data := f.encode(t, tree)

				s, err := config.LoadSecrets(data)
				require.Error(t, err, "%s", data)
				require.Nil(t, s)
				require.ErrorIs(t, err, config.ErrSecrets)
				require.ErrorContains(t, err, tc.text)

				if tc.secret != "" {
					require.NotContains(t, err.Error(), tc.secret, "the error quotes the secret")
				}

				path := talos.Pointer(f.keys(tc.path)...)

				var paths []string

				for _, fe := range fieldErrors(err) {
					paths = append(paths, fe.Path)

					if fe.Path != path {
						continue
					}

					require.ErrorIs(t, fe, config.ErrSecrets)
					require.NotEmpty(t, fe.Fix, "a fix")
					require.Contains(t, fe.Fix, tc.fix)
					require.Empty(t, fe.Value, "no value: it would be a secret")

					return
				}

				t.Fatalf("no field error at %s (field errors at %q): %v", path, paths, err)
			})
		}
	}
}

// TestLoadSecretsUnknownKeyMessages: the exact text for a misspelt key, in both formats, with
// its line.
func TestLoadSecretsUnknownKeyMessages(t *testing.T) {
	t.Parallel()

	valid := string(benchSecrets(t))

	_, err := config.LoadSecrets([]byte(strings.Replace(valid, "    bootstraptoken:", "    bootstraptokn:", 1)))
	require.EqualError(t, err, `load secrets: /secrets/bootstraptokn: invalid secrets bundle: unknown key "bootstraptokn" on line 5; fix: did you mean "bootstraptoken"?`)

	js, err := json.MarshalIndent(loadBench(t).Bundle(), "", "  ")
	require.NoError(t, err)

	_, err = config.LoadSecrets([]byte(strings.Replace(string(js), `"BootstrapToken":`, `"BootstrapTokn":`, 1)))
	require.EqualError(t, err, `load secrets: /Secrets/BootstrapTokn: invalid secrets bundle: unknown key "BootstrapTokn" on line 7; fix: did you mean "BootstrapToken"?`)

	// Several problems are all reported.
	bad := strings.Replace(strings.Replace(valid, "    bootstraptoken: 43cqur.b7it2n9hd3sxp9um", "    bootstraptoken: 43cqur-b7it2n9hd3sxp9um", 1), "    id: ", "    idd: ", 1)
	_, err = config.LoadSecrets([]byte(bad))
	require.ErrorContains(t, err, `/cluster/idd: invalid secrets bundle: unknown key "idd" on line 2; fix: did you mean "id"?`)

	bad = strings.Replace(valid, "    id: ", "    id: A", 1)
	bad = strings.Replace(bad, "    bootstraptoken: 43cqur.b7it2n9hd3sxp9um", "    bootstraptoken: 43cqur-b7it2n9hd3sxp9um", 1)
	_, err = config.LoadSecrets([]byte(bad))
	require.Len(t, fieldErrors(err), 2, "%v", err)
	require.ErrorContains(t, err, "/cluster/id: ")
	require.ErrorContains(t, err, "/secrets/bootstraptoken: invalid secrets bundle: the bootstrap token is not in Kubernetes' bootstrap token format [a-z0-9]{6}.[a-z0-9]{16}: it has 23 characters and no dot, with characters other than a-z, 0-9 and '.'")
	require.NotContains(t, err.Error(), "b7it2n9hd3sxp9um")
}

// TestLoadSecretsAcceptsValid: the bench bundle in YAML and JSON, with JSON keys in another
// case (encoding/json matches them case-insensitively), a URL-safe cluster id (older Talos
// versions), an AES-CBC encryption secret instead of secretbox, YAML anchors, and a bundle in
// a flow mapping all load.
func TestLoadSecretsAcceptsValid(t *testing.T) {
	t.Parallel()

	urlID := base64.URLEncoding.EncodeToString([]byte(strings.Repeat("\xfb\xff", 16)))
	require.Contains(t, urlID, "_")

	for _, f := range secretsFormats {
		for _, tc := range []struct {
			name  string
			edits []secretsEdit
		}{
			{"as is", nil},
			{"url-safe cluster id", []secretsEdit{{path: []string{"cluster", "id"}, value: urlID}}},
			{"aescbc", []secretsEdit{
				{path: []string{"secrets", "secretboxencryptionsecret"}, del: true},
				{path: []string{"secrets", "aescbcencryptionsecret"}, value: b64(strings.Repeat("k", 32))},
			}},
			{"null optional", []secretsEdit{{path: []string{"secrets", "aescbcencryptionsecret"}, value: nil}}},
		} {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()

				tree := f.tree(t)
				for _, e := range tc.edits {
					e.apply(t, f, tree)
				}

				_, err := config.LoadSecrets(f.encode(t, tree))
				require.NoError(t, err)
			})
		}
	}

	js, err := json.Marshal(loadBench(t).Bundle())
	require.NoError(t, err)

	lower := strings.NewReplacer(`"Cluster"`, `"cluster"`, `"BootstrapToken"`, `"bootstraptoken"`, `"OS"`, `"os"`).Replace(string(js))
	_, err = config.LoadSecrets([]byte(lower))
	require.NoError(t, err, "JSON keys match case-insensitively, as encoding/json matches them")

	anchored := strings.Replace(string(benchSecrets(t)), "trustdinfo:\n    token: o0rk1f.4zwzh2wphxobu7e2\n", "trustdinfo: &t\n    token: o0rk1f.4zwzh2wphxobu7e2\n", 1)
	_, err = config.LoadSecrets([]byte(anchored))
	require.NoError(t, err)

	// The YAML path also reads JSON-like flow YAML that is not valid JSON.
	var tree map[string]any
	require.NoError(t, yaml.Unmarshal(benchSecrets(t), &tree))

	flow, err := json.Marshal(tree)
	require.NoError(t, err)

	_, err = config.LoadSecrets(append(flow[:len(flow)-1:len(flow)-1], []byte(`, }`)...)) // trailing comma: YAML, not JSON
	require.NoError(t, err)
}

// ExampleLoadSecrets_error shows the error for a bundle whose bootstrap token was mangled.
func ExampleLoadSecrets_error() {
	_, err := config.LoadSecrets([]byte("cluster:\n  id: mx2Gnd3k14/0vO2nE/mnR9GbcawOo7jgiVEnuk8WIYo=\n  secret: 3ZVU307AvXGE2NRY9qoELLVjwQd94OJ48AXPOVC10Eg=\nsecrets:\n  bootstraptoken: 43CQUR.b7it2n9hd3sxp9um\n  secretboxencryptionsecret: Q8G3fLmkfuasvYaPNGpykfnffSKmYnM05GtDQjjHv1I=\ntrustdinfo:\n  token: o0rk1f.4zwzh2wphxobu7e2\n"))

	var fe *talos.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Path)
		fmt.Println(fe.Err)
	}
	// Output:
	// /secrets/bootstraptoken
	// invalid secrets bundle: the bootstrap token is not in Kubernetes' bootstrap token format [a-z0-9]{6}.[a-z0-9]{16}: it has 23 characters in dot-separated parts of 6, 16, with uppercase letters
}

// TestSecretsFromBundleChecksValues: SecretsFromBundle checks a bundle's values as LoadSecrets
// does, naming the fields by their YAML keys.
func TestSecretsFromBundleChecksValues(t *testing.T) {
	t.Parallel()

	b := loadBench(t).Bundle()
	b.Secrets.BootstrapToken = "Not.A.Token"
	b.Cluster.Secret = ""

	_, err := config.SecretsFromBundle(b)
	require.ErrorIs(t, err, config.ErrSecrets)
	require.ErrorContains(t, err, "/secrets/bootstraptoken: invalid secrets bundle: the bootstrap token is not in Kubernetes' bootstrap token format")
	require.ErrorContains(t, err, "/cluster/secret: invalid secrets bundle: the cluster secret is missing")
	require.NotContains(t, err.Error(), "Not.A.Token")
}
