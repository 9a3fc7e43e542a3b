package helmengine_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/Masterminds/sprig/v3"
	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/talospatch/talospatch/internal/helmengine"
	"github.com/talospatch/talospatch/manifests"
)

// renderBoth renders the chart newChart makes with vals through Helm's engine and through the
// parallel engine, each on its own chart and copy of the values (rendering modifies both), and
// returns both.
func renderBoth(t *testing.T, newChart func() *chart.Chart, vals map[string]any, kube string) (helm map[string]string, helmErr error, fast map[string]string, fastErr error) {
	t.Helper()

	caps := common.DefaultCapabilities.Copy()
	kv, err := common.ParseKubeVersion(kube)
	require.NoError(t, err)

	caps.KubeVersion = *kv

	prepare := func() (*chart.Chart, common.Values) {
		work := newChart()
		v := copyValues(vals)

		require.NoError(t, chartv2util.ProcessDependencies(work, v))

		rv, err := chartutil.ToRenderValuesWithSchemaValidation(work, v, common.ReleaseOptions{
			Name: "cilium", Namespace: "kube-system", Revision: 1, IsInstall: true,
		}, caps, true)
		require.NoError(t, err)

		return work, rv
	}

	work, rv := prepare()
	helm, helmErr = engine.Engine{}.Render(work, rv)

	work, rv = prepare()
	fast, fastErr = helmengine.Execute(context.Background(), work, rv, helmengine.Parse(newChart(), nil), nil, nil, helmengine.Limits{})

	return helm, helmErr, fast, fastErr
}

// copyValues copies the maps and slices of a values tree.
func copyValues(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}

	return out
}

func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyValues(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}

		return out
	default:
		return v
	}
}

// sharedChart returns a function that loads the shipped Cilium chart of version afresh.
func sharedChart(t *testing.T, version string) func() *chart.Chart {
	t.Helper()

	p := filepath.Join("..", "..", "testdata", "charts", "cilium-"+version+".tgz")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("chart fixture %s: %v (testdata/charts at the repository root)", p, err)
	}

	return func() *chart.Chart {
		c, err := loader.LoadArchive(bytes.NewReader(data))
		require.NoError(t, err)

		return c
	}
}

// TestParallelEngineEqualsHelm renders every shipped Cilium chart with many value sets (the
// Talos presets of every era and option, Hubble, certificate modes, Kubernetes versions)
// through both engines: the parallel one must never fail where Helm's succeeds, and its
// output must be Helm's, file by file.
func TestParallelEngineEqualsHelm(t *testing.T) {
	t.Parallel()

	for _, version := range []string{"1.11.2", "1.16.18", "1.17.18", "1.18.12", "1.19.6", "1.20.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			newChart := sharedChart(t, version)
			c := newChart()

			var sets []map[string]any

			for _, o := range []manifests.CiliumOptions{
				{},
				{KubeProxyDisabled: true},
				{KubeProxyDisabled: true, CertificatesInCluster: true},
				{KubeProxyDisabled: true, CertificatesInCluster: true, DisableXTSocketFallback: true},
			} {
				v, err := manifests.CiliumValues(o, c.Metadata.Version)
				require.NoError(t, err)

				sets = append(sets, v)
			}

			extra := []map[string]any{
				{"hubble": map[string]any{"relay": map[string]any{"enabled": true}, "ui": map[string]any{"enabled": true}, "tls": map[string]any{"auto": map[string]any{"method": "cronJob"}}}},
				{"operator": map[string]any{"replicas": 1}, "ipv6": map[string]any{"enabled": true}, "bpf": map[string]any{"masquerade": true}},
				{"encryption": map[string]any{"enabled": true, "type": "wireguard"}, "prometheus": map[string]any{"enabled": true}},
				{"clustermesh": map[string]any{"useAPIServer": true, "apiserver": map[string]any{"tls": map[string]any{"auto": map[string]any{"method": "cronJob"}}}}},
				{"gatewayAPI": map[string]any{"enabled": true}, "l2announcements": map[string]any{"enabled": true}, "k8sServiceHost": "localhost", "k8sServicePort": 7445, "kubeProxyReplacement": true},
				{"podSecurityContext": map[string]any{"appArmorProfile": map[string]any{"type": "Unconfined"}}},
				{"eni": map[string]any{"enabled": true, "iamRole": "arn:x"}, "ipam": map[string]any{"mode": "eni"}},
			}

			for _, e := range extra {
				base, err := manifests.CiliumValues(manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}, c.Metadata.Version)
				require.NoError(t, err)

				sets = append(sets, loader.MergeMaps(base, e))
			}

			rendered := 0

			for i, vals := range sets {
				for _, kube := range []string{"1.29.0", "1.35.0"} {
					helm, helmErr, fast, fastErr := renderBoth(t, newChart, vals, kube)
					if helmErr != nil {
						require.ErrorIs(t, fastErr, helmengine.ErrGaveUp, "set %d, kube %s: Helm failed (%v), so must the parallel engine", i, kube, helmErr)

						continue
					}

					require.NoError(t, fastErr, "set %d, kube %s", i, kube)

					rendered++
					require.Equal(t, slices.Sorted(maps.Keys(helm)), slices.Sorted(maps.Keys(fast)), "set %d, kube %s", i, kube)

					for name, want := range helm {
						if isGenerated(want) {
							continue // freshly generated certificates differ between any two renders
						}

						require.Equal(t, want, fast[name], "set %d, kube %s, %s", i, kube, name)
					}
				}
			}

			require.Greater(t, rendered, len(sets), "most value sets render")
		})
	}
}

// isGenerated reports whether a rendered file carries material Helm generates per render
// (certificates and keys made by genCA and the like).
func isGenerated(s string) bool {
	for _, marker := range []string{"tls.crt:", "tls.key:", "ca.crt:", "ca.key:", "BEGIN CERTIFICATE", "BEGIN RSA"} {
		if strings.Contains(s, marker) {
			return true
		}
	}

	return false
}

// engineChart is a small chart exercising what the parallel engine reimplements: include,
// tpl with defines, required, .Files, .Template, subchart values, a template that changes
// the values, redefinitions across files and a library-style partial.
func engineChart(extra ...*common.File) *chart.Chart {
	sub := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "sub", Version: "0.1.0"},
		Values:   map[string]any{"greeting": "hello"},
		Templates: []*common.File{
			{Name: "templates/_helpers.tpl", Data: []byte(`{{- define "sub.name" -}}sub-{{ .Values.greeting }}{{- end -}}`)},
			{Name: "templates/cm.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"sub.name\" . }}\ndata:\n  tpl: {{ .Template.Name }} {{ .Template.BasePath }}\n  root: {{ .Chart.IsRoot }}\n")},
		},
	}

	c := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "app", Version: "1.0.0", Dependencies: []*chart.Dependency{{Name: "sub", Version: "0.1.0"}}},
		Values: map[string]any{
			"name":  "demo",
			"items": []any{"a", "b"},
			"text":  "{{ .Values.name }}-{{ include \"app.suffix\" . }}",
			"sec":   map[string]any{"keep": "yes", "drop": "me"},
			"sub":   map[string]any{"greeting": "hi"},
		},
		Templates: []*common.File{
			{Name: "templates/_helpers.tpl", Data: []byte(`{{- define "app.suffix" -}}v1{{- end -}}{{- define "app.shared" -}}first{{- end -}}`)},
			{Name: "templates/_more.tpl", Data: []byte(`{{- define "app.shared" -}}second{{- end -}}`)},
			{Name: "templates/a.yaml", Data: []byte("{{- $_ := unset .Values.sec \"drop\" -}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  tpl: {{ tpl .Values.text . | quote }}\n  shared: {{ include \"app.shared\" . }}\n  sec: {{ toYaml .Values.sec | nindent 4 }}\n  files: {{ .Files.Glob \"files/*.txt\" | len }}\n  conf: {{ (.Files.Glob \"files/*.txt\").AsConfig | nindent 4 }}\n  lines: {{ .Files.Lines \"files/a.txt\" | join \",\" }}\n  req: {{ required \"name is required\" .Values.name }}\n  missing: {{ .Values.nothere }}\n  sub: {{ .Subcharts.sub.Values.greeting }}\n")},
			{Name: "templates/b.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  sec: {{ toJson .Values.sec | quote }}\n  items: {{ range .Values.items }}{{ . }}{{ end }}\n")},
			{Name: "templates/NOTES.txt", Data: []byte("{{ .Release.Name }} in {{ .Release.Namespace }}\n")},
			{Name: "templates/_funcs.tpl", Data: []byte(`{{- define "app.funcs" -}}` +
				`{{ "a: 1" | fromYaml | toJson }} {{ "[1, 2]" | fromYamlArray | toJson }} {{ "bad: [" | fromYaml | toJson }} ` +
				`{{ "{\"a\": 1}" | fromJson | toYaml }} {{ "x" | fromJsonArray | toJson }} {{ "{" | fromJson | toJson }} {{ dict "a" 1 | toToml }} ` +
				`{{ "a = 1" | fromToml | toJson }} {{ "a = " | fromToml | toJson }} {{ dict "b" (list 1 2) | toYamlPretty }} [{{ getHostByName "localhost" }}] ` +
				`{{ lookup "v1" "Pod" "ns" "x" | toJson }} {{ .Files.Get "files/b.txt" }} {{ .Files.GetBytes "missing" | len }} {{ (.Files.Glob "files/*").AsSecrets }} ` +
				`{{ .Chart.Name }} {{ .Capabilities.KubeVersion.Version }}{{- end -}}`)},
			{Name: "templates/funcs.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: funcs\ndata:\n" +
				"  out: {{ include \"app.funcs\" . | b64enc | quote }}\n  first: {{ \"a: 1\" | fromYaml | toJson | quote }}\n")},
		},
		Files: []*common.File{
			{Name: "files/a.txt", Data: []byte("one\ntwo\n")},
			{Name: "files/b.txt", Data: []byte("three")},
		},
	}

	c.Templates = append(c.Templates, extra...)
	c.SetDependencies(sub)

	return c
}

func TestParallelEngineSmallChart(t *testing.T) {
	t.Parallel()

	helm, helmErr, fast, fastErr := renderBoth(t, func() *chart.Chart { return engineChart() }, map[string]any{}, "1.33.0")
	require.NoError(t, helmErr)
	require.NoError(t, fastErr)
	require.Equal(t, helm, fast)
	require.Contains(t, fast["app/templates/a.yaml"], "tpl: \"demo-v1\"")
	require.Contains(t, fast["app/templates/a.yaml"], "shared: first", "the definition parsed last wins: Helm parses paths in descending order")
	require.Contains(t, fast["app/templates/b.yaml"], "drop", "b runs before a (descending order), which then removes the value")
	require.NotContains(t, fast["app/templates/a.yaml"], "drop")
	require.Contains(t, fast["app/charts/sub/templates/cm.yaml"], "name: sub-hi")
	require.Contains(t, fast["app/templates/funcs.yaml"], `first: "{\"a\":1}"`)

	out := fast["app/templates/funcs.yaml"]
	out = out[strings.Index(out, "out: \"")+len("out: \""):]
	decoded, err := base64.StdEncoding.DecodeString(out[:strings.IndexByte(out, '"')])
	require.NoError(t, err)
	require.Contains(t, string(decoded), `{"a":1} [1,2] {"Error":`)
}

// TestParallelEngineFailuresFallBack: whatever makes a template fail makes the parallel engine
// give up, and Render then reports Helm's own error, even after a template changed the values
// before failing.
func TestParallelEngineFailuresFallBack(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		file string
	}{
		{"parse error", "{{ if }}"},
		{"unknown function", "{{ env \"HOME\" }}"},
		{"required", "{{ required \"x.y is required\" .Values.nothere }}"},
		{"fail", "{{ fail \"stop here\" }}"},
		{"exec error", "{{ index .Values.items 5 }}"},
		{"changes values then fails", "{{ $_ := set .Values \"name\" \"changed\" }}{{ fail \"after a change\" }}"},
		{"bad tpl", "{{ tpl \"{{ if }}\" . }}"},
		{"include loop", "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}{{ include \"loop\" . }}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			newChart := func() *chart.Chart {
				return engineChart(&common.File{Name: "templates/z.yaml", Data: []byte(tc.file)})
			}

			helm, helmErr, _, fastErr := renderBoth(t, newChart, map[string]any{}, "1.33.0")
			require.Error(t, helmErr)
			require.Empty(t, helm)
			require.ErrorIs(t, fastErr, helmengine.ErrGaveUp)

			_, err := manifests.Render(context.Background(), newChart(), "1.33.0", manifests.RenderOptions{})
			require.ErrorIs(t, err, manifests.ErrTemplate)
			require.Contains(t, err.Error(), helmErr.Error(), "Render reports Helm's message")
		})
	}
}

// helmV4Extras are the functions Helm v4.3.2's engine adds to sprig's (pkg/engine funcs.go and
// engine.go); env and expandenv are the ones it removes.
var helmV4Extras = []string{
	"toToml", "mustToToml", "fromToml", "toYaml", "mustToYaml", "toYamlPretty", "fromYaml", "fromYamlArray",
	"toJson", "mustToJson", "fromJson", "fromJsonArray",
	"mustToDuration", "durationSeconds", "durationMilliseconds", "durationMicroseconds", "durationNanoseconds",
	"durationMinutes", "durationHours", "durationDays", "durationWeeks", "durationRoundTo", "durationTruncateTo",
	"include", "tpl", "required", "fail", "lookup", "getHostByName",
}

// TestHelmFunctionNames: the parallel engine knows every function Helm's does (a name it lacks
// fails its parse, and the chart would go to Helm's engine, which has no limits), and Helm's
// engine knows every function the parallel engine gives templates.
func TestHelmFunctionNames(t *testing.T) {
	t.Parallel()

	want := map[string]bool{}
	for name := range sprig.TxtFuncMap() {
		want[name] = true
	}

	delete(want, "env")
	delete(want, "expandenv")

	for _, name := range helmV4Extras {
		want[name] = true
	}

	got := helmengine.FuncNames()
	for name := range want {
		require.True(t, got[name], "Helm v4 has %s; the parallel engine does not", name)
	}

	var text strings.Builder
	for name := range got {
		fmt.Fprintf(&text, "{{ if false }}{{ %s }}{{ end }}", name)
	}

	c := &chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: "v2", Name: "names", Version: "0.1.0"},
		Templates: []*common.File{{Name: "templates/names.yaml", Data: []byte(text.String())}},
	}

	rv, err := chartutil.ToRenderValues(c, map[string]any{}, common.ReleaseOptions{Name: "x", Namespace: "y"}, common.DefaultCapabilities)
	require.NoError(t, err)

	_, err = engine.Engine{}.Render(c, rv)
	require.NoError(t, err, "Helm's engine does not know a function the parallel engine has")
}

// TestParallelEngineHelmV4Functions: the must encoders and the duration functions of Helm v4
// render in the parallel engine (it does not give up) as in Helm's.
func TestParallelEngineHelmV4Functions(t *testing.T) {
	t.Parallel()

	text := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v4\ndata:\n" +
		"  yaml: {{ mustToYaml .Values | quote }}\n  json: {{ mustToJson .Values | quote }}\n  toml: {{ mustToToml (dict \"a\" 1) | quote }}\n" +
		"{{- range $i, $v := list \"1h2m3s\" \"2.5\" \" 90 \" 45 -3 2.25 \"\" \"x\" \"1e300\" }}\n" +
		"  d{{ $i }}: {{ printf \"%v %v %v %v %v %v %v %v %v %v %v\" (durationSeconds $v) (durationMilliseconds $v) (durationMicroseconds $v) (durationNanoseconds $v) (durationMinutes $v) (durationHours $v) (durationDays $v) (durationWeeks $v) (durationRoundTo $v \"1m\") (durationTruncateTo $v \"1m\") (durationRoundTo $v \"bad\") | quote }}\n" +
		"{{- end }}\n" +
		"  must: {{ mustToDuration \"1h30m\" | quote }} {{ mustToDuration 90 | quote }}\n"

	newChart := func() *chart.Chart {
		return engineChart(&common.File{Name: "templates/v4.yaml", Data: []byte(text)})
	}

	helm, helmErr, fast, fastErr := renderBoth(t, newChart, map[string]any{}, "1.33.0")
	require.NoError(t, helmErr)
	require.NoError(t, fastErr, "the parallel engine gave up")
	require.Equal(t, helm["app/templates/v4.yaml"], fast["app/templates/v4.yaml"])
	require.Contains(t, fast["app/templates/v4.yaml"], `d0: "3723 3723000`)

	// A value that is not a duration fails mustToDuration in both, with Helm's message.
	bad := func() *chart.Chart {
		return engineChart(&common.File{Name: "templates/bad.yaml", Data: []byte(`v: {{ mustToDuration "soon" }}`)})
	}

	_, helmErr, _, fastErr = renderBoth(t, bad, map[string]any{}, "1.33.0")
	require.Error(t, helmErr)
	require.ErrorIs(t, fastErr, helmengine.ErrGaveUp)
}
