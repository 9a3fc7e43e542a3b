package manifests_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/talospatch/talospatch/manifests"
)

// TestDeterministicFunctionCalls: a deterministic render of a template that calls a function
// whose result depends on randomness or the clock fails naming the template and the function;
// without Deterministic the same chart renders.
func TestDeterministicFunctionCalls(t *testing.T) {
	t.Parallel()

	tests := []struct {
		function, expr string
	}{
		{"randAlphaNum", `randAlphaNum 8`},
		{"randAlpha", `randAlpha 8`},
		{"randNumeric", `randNumeric 8`},
		{"randAscii", `randAscii 8`},
		{"randInt", `randInt 1 100`},
		{"randBytes", `randBytes 8`},
		{"uuidv4", `uuidv4`},
		{"shuffle", `shuffle "abcdef"`},
		{"now", `now | date "2006-01-02"`},
		{"now", `now | unixEpoch`},
		{"now", `dateInZone "2006" now "UTC"`},
		{"now", `now | htmlDate`},
		{"ago", `ago (toDate "2006-01-02" "2020-01-01")`},
		{"date", `date "2006-01-02" "not a time"`},
		{"htmlDate", `htmlDate ""`},
		{"durationRound", `durationRound (toDate "2006-01-02" "2020-01-01")`},
		{"encryptAES", `encryptAES "secretkey" "plaintext"`},
		{"bcrypt", `bcrypt "password"`},
		{"htpasswd", `htpasswd "user" "password"`},
	}

	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()

			ch := tinyChart(map[string]string{"cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: value
data:
  value: {{ ` + tt.expr + ` | toString | quote }}
`}, "")

			r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{})
			require.NoError(t, err)
			require.Len(t, r.Objects, 1)

			_, err = manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Deterministic: true})
			require.ErrorIs(t, err, manifests.ErrNondeterministic)

			var calls *manifests.NondeterministicCallsError
			require.True(t, errors.As(err, &calls), "%v", err)
			require.Equal(t, "tiny/templates/cm.yaml", calls.Calls[0].Template)
			require.Equal(t, tt.function, calls.Calls[0].Function)
			require.Contains(t, err.Error(), tt.function+" in tiny/templates/cm.yaml")
			require.Contains(t, err.Error(), "fixed value")
		})
	}
}

// TestDeterministicFunctionCallsDeterministicUses: functions of the clock family with fixed
// arguments, and derivePassword, are deterministic and allowed.
func TestDeterministicFunctionCallsDeterministicUses(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{"cm.yaml": `{{- $t := toDate "2006-01-02" "2020-01-01" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: value
data:
  date: {{ date "2006-01-02" $t | quote }}
  zone: {{ dateInZone "2006-01-02" 1577836800 "UTC" | quote }}
  html: {{ htmlDate $t | quote }}
  epoch: {{ unixEpoch $t | quote }}
  round: {{ durationRound "2h10m" | quote }}
  modify: {{ dateModify "1h" $t | date "15" | quote }}
  password: {{ derivePassword 1 "long" "password" "user" "example.com" | quote }}
`}, "")

	first, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Deterministic: true})
	require.NoError(t, err)

	second, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Deterministic: true})
	require.NoError(t, err)
	require.Equal(t, string(first.YAML), string(second.YAML))
}

// TestDeterministicFunctionCallsInclude: a call in a named template names the file that
// includes it and the named template; it is found with Previous too (Helm's engine renders,
// the parallel engine records), and in a template that fails over to Helm's engine.
func TestDeterministicFunctionCallsInclude(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{
		"_helpers.tpl": `{{- define "tiny.token" }}{{ randAlphaNum 16 }}{{ end }}`,
		"cm.yaml": `{{- $old := lookup "v1" "ConfigMap" .Release.Namespace "other" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: token
data:
  token: {{ include "tiny.token" . | quote }}
`,
	}, "")

	first, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err)

	for name, opts := range map[string]manifests.RenderOptions{
		"fresh":    {Deterministic: true},
		"previous": {Deterministic: true, Previous: []*unstructured.Unstructured{first.Objects[0]}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			_, err := manifests.Render(context.Background(), ch, testKubeVersion, opts)

			var calls *manifests.NondeterministicCallsError
			require.True(t, errors.As(err, &calls), "%v", err)
			require.Equal(t, []manifests.NondeterministicCall{{
				Template: "tiny/templates/cm.yaml", Via: "tiny.token", Function: "randAlphaNum", Source: "randomness",
			}}, calls.Calls)
			require.Contains(t, err.Error(), "randAlphaNum in tiny/templates/cm.yaml (via tiny.token)")
		})
	}
}

// TestDeterministicKeyFunctionsByOutput: the key-making functions are judged by the output:
// a certificate made during the render fails, one reused from Previous does not.
func TestDeterministicKeyFunctionsByOutput(t *testing.T) {
	t.Parallel()

	ch := certChart()

	_, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Deterministic: true})

	var nd *manifests.NondeterministicError
	require.True(t, errors.As(err, &nd), "%v", err)

	first, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err)

	_, err = manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Deterministic: true, Previous: first.Objects})
	require.NoError(t, err)
}

// TestDeterministicCallsNotInOutput: calls whose results do not reach the output, as Cilium's
// duration validation with now, are allowed.
func TestDeterministicCallsNotInOutput(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{
		"_helpers.tpl": `{{- define "validateDuration" }}{{- $_ := now | mustDateModify (toString .) }}{{ . }}{{- end }}
{{- define "hasDuration" }}{{- $now := now }}{{- if ne $now ($now | dateModify (toString .)) }}{{ . }}{{- end }}{{- end }}`,
		"cm.yaml": `{{- $unused := randAlphaNum 16 }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: durations
data:
  interval: {{ include "validateDuration" "5m" | quote }}
  has: {{ include "hasDuration" "1h" | quote }}
  password: {{ .Values.password | default (randAlphaNum 16) | quote }}
`,
	}, "password: fixed\n")

	r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Deterministic: true})
	require.NoError(t, err)

	data, _, _ := unstructured.NestedStringMap(r.Objects[0].Object, "data")
	require.Equal(t, map[string]string{"interval": "5m", "has": "1h", "password": "fixed"}, data)

	// Without the fixed value, the random default reaches the output.
	_, err = manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Deterministic: true, Set: []string{"password=null"}})

	var calls *manifests.NondeterministicCallsError
	require.True(t, errors.As(err, &calls), "%v", err)
	require.Equal(t, []manifests.NondeterministicCall{{
		Template: "tiny/templates/cm.yaml", Function: "randAlphaNum", Source: "randomness",
	}}, calls.Calls, "only the calls of randomness: the clock does not reach the output")
}
