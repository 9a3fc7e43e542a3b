package manifests_test

import (
	"bytes"
	"context"
	"errors"
	"log"
	"runtime"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/talospatch/talospatch/manifests"
)

// appChart is a small chart with a CRD in crds/, a custom resource, a namespaced object
// without namespace, cluster-scoped objects, a hook, a test hook, NOTES and a partial.
func appChart() *chart.Chart {
	return tinyChart(map[string]string{
		"_helpers.tpl": `{{- define "app.name" -}}{{ .Release.Name }}-app{{- end -}}`,
		"NOTES.txt":    `Installed {{ include "app.name" . }} in {{ .Release.Namespace }}.`,
		"deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.name" . }}
spec:
  replicas: {{ .Values.replicas }}
`,
		"rbac.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ include "app.name" . }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "app.name" . }}
  namespace: explicit
`,
		"widget.yaml": `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
---
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: g
---
apiVersion: other.io/v1
kind: Thing
metadata:
  name: t
`,
		"hook.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: post
  annotations:
    helm.sh/hook: post-install
`,
		"test.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: test
  annotations:
    helm.sh/hook: test
`,
		"empty.yaml": `{{- if .Values.never }}never{{ end }}`,
	}, "replicas: 1\nnever: false\n",
		&common.File{Name: "crds/widgets.yaml", Data: []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: {kind: Gadget, plural: gadgets}
`)})
}

// refs summarises objects as "Kind namespace/name" (or "Kind name") for comparisons.
func refs(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		r := manifests.RefOf(o)
		if r.Namespace == "" {
			out = append(out, r.Kind+" "+r.Name)
		} else {
			out = append(out, r.Kind+" "+r.Namespace+"/"+r.Name)
		}
	}

	return out
}

func TestRenderTalosAdjustments(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		opts     manifests.RenderOptions
		want     []string
		warnings int
	}{
		{
			name: "defaults: kube-system, crds and hooks included",
			want: []string{
				"CustomResourceDefinition gadgets.example.com",
				"CustomResourceDefinition widgets.example.com",
				"ServiceAccount explicit/tiny-app",
				"ClusterRole tiny-app",
				"Deployment kube-system/tiny-app",
				"Gadget g",
				"Thing kube-system/t",
				"Widget kube-system/w",
				"Pod kube-system/test",
				"Job kube-system/post",
			},
			warnings: 1,
		},
		{
			name: "other namespace gets a Namespace first, no crds, hooks or tests",
			opts: manifests.RenderOptions{
				ReleaseName: "rel", Namespace: "apps", SkipCRDs: true, SkipHooks: true,
				ClusterScopedKinds: []schema.GroupKind{{Group: "other.io", Kind: "Thing"}},
			},
			want: []string{
				"Namespace apps",
				"ServiceAccount explicit/rel-app",
				"ClusterRole rel-app",
				"Deployment apps/rel-app",
				"Gadget apps/g", // no CRD in the render: scope unknown, taken as namespaced
				"Thing t",
				"Widget apps/w",
			},
			warnings: 2, // Gadget and Widget: their CRDs are skipped
		},
		{
			name: "skip tests only",
			opts: manifests.RenderOptions{SkipTests: true, Namespace: "kube-system"},
			want: []string{
				"CustomResourceDefinition gadgets.example.com",
				"CustomResourceDefinition widgets.example.com",
				"ServiceAccount explicit/tiny-app",
				"ClusterRole tiny-app",
				"Deployment kube-system/tiny-app",
				"Gadget g",
				"Thing kube-system/t",
				"Widget kube-system/w",
				"Job kube-system/post",
			},
			warnings: 1,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			r, err := manifests.Render(context.Background(), appChart(), testKubeVersion, tt.opts)
			require.NoError(t, err)

			if diff := cmp.Diff(tt.want, refs(r.Objects)); diff != "" {
				t.Fatalf("objects (-want +got):\n%s", diff)
			}

			require.Len(t, r.Warnings, tt.warnings, "%v", r.Warnings)

			back, err := manifests.ParseObjects(r.YAML)
			require.NoError(t, err)
			require.Equal(t, refs(r.Objects), refs(back))
		})
	}
}

func TestRenderGoldenTiny(t *testing.T) {
	t.Parallel()

	r, err := manifests.Render(context.Background(), appChart(), "v1.33.2", manifests.RenderOptions{
		Namespace:       "apps",
		NamespaceLabels: map[string]string{"team": "a"},
		Set:             []string{"replicas=3"},
	})
	require.NoError(t, err)

	require.Equal(t, "Installed tiny-app in apps.", r.Notes)
	require.Equal(t, "v1.33.2", r.KubernetesVersion)
	require.Equal(t, "tiny", r.ReleaseName)
	require.Equal(t, map[string]any{"replicas": int64(3)}, r.Values)
	require.Equal(t, map[string]string{"team": "a"}, r.Objects[0].GetLabels())

	golden(t, "tiny.yaml", r.YAML)
	golden(t, "tiny.helm.yaml", r.HelmOutput)
}

func TestRenderValuesPriority(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{"cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
{{- range $k, $v := .Values.v }}
  {{ $k }}: {{ $v | toJson | quote }}
{{- end }}
`}, "v:\n  chart: chart\n  values: chart\n  file: chart\n  set: chart\n  str: chart\n")

	typed := map[string]any{"v": map[string]any{"values": "typed", "file": "typed"}}
	r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{
		Values:      typed,
		ValuesFiles: [][]byte{[]byte("v:\n  file: file1\n  json: file1\n"), []byte("v:\n  file: file2\n")},
		SetJSON:     []string{`v.json={"a":1}`},
		Set:         []string{"v.set=1,v.str=2"},
		SetString:   []string{"v.str=2"},
	})
	require.NoError(t, err)

	data, _, _ := unstructured.NestedStringMap(r.Objects[0].Object, "data")
	require.Equal(t, map[string]string{
		"chart":  `"chart"`,
		"values": `"typed"`,
		"file":   `"file2"`,
		"json":   `{"a":1}`,
		"set":    `1`,
		"str":    `"2"`,
	}, data)
	require.Equal(t, map[string]any{"v": map[string]any{"values": "typed", "file": "typed"}}, typed, "input values must not be modified")
}

func TestRenderDoesNotModifyChart(t *testing.T) {
	t.Parallel()

	ch := loadCilium(t, "1.18.12")
	before := ch.Values["hubble"].(map[string]any)["tls"].(map[string]any)["auto"].(map[string]any)["method"]

	_, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion, manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{})
	require.NoError(t, err)

	after := ch.Values["hubble"].(map[string]any)["tls"].(map[string]any)["auto"].(map[string]any)["method"]
	require.Equal(t, before, after)
	require.Equal(t, "helm", after)

	// A chart with a disabled dependency keeps its dependency after a render.
	parent := tinyChart(map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n"}, "sub:\n  enabled: false\n")
	parent.Metadata.Dependencies = []*chart.Dependency{{Name: "sub", Condition: "sub.enabled"}}
	sub := tinyChart(map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"}, "")
	sub.Metadata.Name = "sub"
	parent.SetDependencies(sub)

	r, err := manifests.Render(context.Background(), parent, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"ConfigMap kube-system/p"}, refs(r.Objects))
	require.Len(t, parent.Dependencies(), 1)
	require.True(t, parent.Metadata.Dependencies[0].Enabled == false)

	r, err = manifests.Render(context.Background(), parent, testKubeVersion, manifests.RenderOptions{Set: []string{"sub.enabled=true"}})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"ConfigMap kube-system/p", "ConfigMap kube-system/s"}, refs(r.Objects))
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()

	cilium116 := loadCilium(t, "1.16.18")
	tiny := appChart()
	broken := tinyChart(map[string]string{"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.x | required \"x is required\" }}}\n"}, "")
	invalidYAML := tinyChart(map[string]string{"bad.yaml": "apiVersion: v1\nkind: [\n"}, "")
	library := tinyChart(nil, "")
	library.Metadata.Type = "library"
	missingDep := tinyChart(nil, "")
	missingDep.Metadata.Dependencies = []*chart.Dependency{{Name: "absent"}}

	type want struct {
		kind     manifests.RenderErrorKind
		index    int
		key      string
		template string
	}

	tests := []struct {
		name     string
		ch       *chart.Chart
		version  string
		opts     manifests.RenderOptions
		sentinel error
		want     want
		contains []string
	}{
		{"nil chart", nil, testKubeVersion, manifests.RenderOptions{}, manifests.ErrInvalidOptions, want{kind: manifests.KindChart}, []string{"chart is nil"}},
		{"missing kubernetes version", tiny, "", manifests.RenderOptions{}, manifests.ErrInvalidOptions, want{kind: manifests.KindKubernetesVersion}, []string{"tiny 0.1.0", "kubernetes version is required"}},
		{"bad kubernetes version", tiny, "one.two", manifests.RenderOptions{}, manifests.ErrInvalidOptions, want{kind: manifests.KindKubernetesVersion}, []string{`"one.two"`}},
		{"incompatible kubernetes version", cilium116, "1.20.0", manifests.RenderOptions{}, manifests.ErrIncompatibleKubeVersion, want{kind: manifests.KindKubernetesVersion}, []string{"cilium 1.16.18", ">= 1.21.0-0", "v1.20.0"}},
		{"bad release name", tiny, testKubeVersion, manifests.RenderOptions{ReleaseName: "Bad_Name"}, manifests.ErrInvalidOptions, want{kind: manifests.KindReleaseName}, []string{`"Bad_Name"`}},
		{"bad namespace", tiny, testKubeVersion, manifests.RenderOptions{Namespace: "Not Valid"}, manifests.ErrInvalidOptions, want{kind: manifests.KindNamespace}, []string{`"Not Valid"`}},
		{"bad values file", tiny, testKubeVersion, manifests.RenderOptions{ValuesFiles: [][]byte{[]byte("a: 1\n"), []byte("a: [\n")}}, manifests.ErrValues, want{kind: manifests.KindValuesFile, index: 1}, []string{"values file 1"}},
		{"bad set", tiny, testKubeVersion, manifests.RenderOptions{Set: []string{"a=1", "b=2", "c=3", "a[x]=1"}}, manifests.ErrValues, want{kind: manifests.KindSet, index: 3, key: "a[x]"}, []string{`Set[3] (key "a[x]")`, "error parsing index"}},
		{"bad set without key", tiny, testKubeVersion, manifests.RenderOptions{SetString: []string{"a=1", "{x}"}}, manifests.ErrValues, want{kind: manifests.KindSetString, index: 1}, []string{"SetString[1] (no KEY= before the first value)"}},
		{"bad set json", tiny, testKubeVersion, manifests.RenderOptions{SetJSON: []string{"a={"}}, manifests.ErrValues, want{kind: manifests.KindSetJSON, key: "a"}, []string{`SetJSON[0] (key "a")`}},
		{"bad set json object", tiny, testKubeVersion, manifests.RenderOptions{SetJSON: []string{`{"a": 1}`, `{"secret": "hunter2"`}}, manifests.ErrValues, want{kind: manifests.KindSetJSON, index: 1}, []string{"SetJSON[1]", "not a valid JSON object"}},
		{"schema rejects strict on 1.16", cilium116, testKubeVersion, manifests.RenderOptions{Set: []string{"kubeProxyReplacement=strict"}}, manifests.ErrTemplate, want{kind: manifests.KindTemplate, template: "cilium/templates/cilium-configmap.yaml"}, []string{"cilium 1.16.18", "kubeProxyReplacement must be explicitly set"}},
		{"schema type", cilium116, testKubeVersion, manifests.RenderOptions{Set: []string{"enableXTSocketFallback=notabool"}}, manifests.ErrValues, want{kind: manifests.KindValues}, []string{"schema"}},
		{"required value", broken, testKubeVersion, manifests.RenderOptions{}, manifests.ErrTemplate, want{kind: manifests.KindTemplate, template: "tiny/templates/bad.yaml"}, []string{"x is required"}},
		{"invalid yaml output", invalidYAML, testKubeVersion, manifests.RenderOptions{}, manifests.ErrTemplate, want{kind: manifests.KindOutput, template: "tiny/templates/bad.yaml"}, []string{"bad.yaml"}},
		{"library chart", library, testKubeVersion, manifests.RenderOptions{}, manifests.ErrInvalidOptions, want{kind: manifests.KindChart}, []string{"library"}},
		{"missing dependency", missingDep, testKubeVersion, manifests.RenderOptions{}, manifests.ErrInvalidOptions, want{kind: manifests.KindChart}, []string{"absent"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			r, err := manifests.Render(context.Background(), tt.ch, tt.version, tt.opts)
			require.Nil(t, r, "a failed render returns no partial result")
			require.ErrorIs(t, err, tt.sentinel)

			var re *manifests.RenderError
			require.True(t, errors.As(err, &re))
			require.Equal(t, tt.want, want{kind: re.Kind, index: re.Index, key: re.Key, template: re.Template}, "%v", err)

			for _, s := range tt.contains {
				require.Contains(t, err.Error(), s)
			}

			require.NotContains(t, err.Error(), "hunter2", "a set expression's value is never echoed")
		})
	}
}

// TestFailedRenderLeavesNoGoroutine: every goroutine a render starts (schema compilation,
// template parsing, the schema check) has ended when Render returns, also when it fails early.
func TestFailedRenderLeavesNoGoroutine(t *testing.T) {
	ch := loadCilium(t, "1.18.12")

	before := runtime.NumGoroutine()

	for range 5 {
		// A fresh Renderer each time, so the schema compilation and the parse start anew.
		_, err := manifests.NewRenderer(ch).Render(context.Background(), testKubeVersion, manifests.RenderOptions{Set: []string{"a[x]=1"}})
		require.Error(t, err)
		_, err = manifests.NewRenderer(ch).Render(context.Background(), testKubeVersion, manifests.RenderOptions{Set: []string{"kubeProxyReplacement=strict"}})
		require.Error(t, err)
	}

	require.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines outlive a failed render")
}

// TestRenderUntypedDocument: a template that prints a mapping without apiVersion or kind
// (here: its values) is printed by Helm; the objects leave it out with a warning naming the
// template instead of failing the render.
func TestRenderUntypedDocument(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{
		"cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
		"dump.yaml": "{{ toYaml .Values }}\n---\nkind: Orphan\nmetadata:\n  name: o\n",
	}, "replicas: 2\nimage: app\n")

	r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err)
	require.Contains(t, string(r.HelmOutput), "# Source: tiny/templates/dump.yaml\nimage: app\nreplicas: 2\n")
	require.Len(t, r.Objects, 1)
	require.Equal(t, "ConfigMap", r.Objects[0].GetKind())
	require.Len(t, r.Warnings, 2)
	require.Contains(t, r.Warnings[0], "tiny/templates/dump.yaml (document 0): apiVersion is missing")
	require.Contains(t, r.Warnings[1], "tiny/templates/dump.yaml (document 1): apiVersion is missing")
}

func TestRenderSchemaOffline(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		schema   string
		set      []string
		contains string
	}{
		{"remote ref is not fetched", `{"$ref": "https://example.com/schema.json"}`, nil, "offline"},
		{"file ref is not fetched", `{"properties": {"a": {"$ref": "file:///etc/schema.json"}}}`, nil, "offline"},
		{"violation names the chart", `{"properties": {"replicas": {"type": "integer", "minimum": 1}}}`, []string{"replicas=0"}, "tiny:"},
		{"invalid schema", `{"type": 12}`, nil, "tiny"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			ch := tinyChart(map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}, "replicas: 1\n")
			ch.Schema = []byte(tt.schema)

			_, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Set: tt.set})
			require.ErrorIs(t, err, manifests.ErrValues)
			require.Contains(t, err.Error(), tt.contains)

			// Skipping the schema renders.
			_, err = manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Set: tt.set, SkipSchemaValidation: true})
			require.NoError(t, err)
		})
	}

	ok := tinyChart(map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"}, "replicas: 1\n")
	ok.Schema = []byte(`{"properties": {"replicas": {"type": "integer", "minimum": 1}, "x": {"$ref": "urn:example:x"}}}`)
	_, err := manifests.Render(context.Background(), ok, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err, "urn references are permissive, as in Helm")
}

// TestRendererSchemaAfterFailedRender checks that a render failing before the schema check
// (the schemas compile in the background from its start) leaves the Renderer's schema check
// intact for the next renders (run with -race).
func TestRendererSchemaAfterFailedRender(t *testing.T) {
	t.Parallel()

	ch := appChart()
	ch.Schema = []byte(`{"properties": {"replicas": {"type": "integer"}}}`)
	rd := manifests.NewRenderer(ch)

	_, err := rd.Render(context.Background(), testKubeVersion, manifests.RenderOptions{Namespace: "apps", ValuesFiles: [][]byte{[]byte("replicas: [")}})
	require.ErrorIs(t, err, manifests.ErrValues)

	_, err = rd.Render(context.Background(), testKubeVersion, manifests.RenderOptions{Namespace: "apps", Set: []string{"replicas=many"}})
	require.ErrorIs(t, err, manifests.ErrValues)
	require.ErrorContains(t, err, "replicas")

	_, err = rd.Render(context.Background(), testKubeVersion, manifests.RenderOptions{Namespace: "apps", Set: []string{"replicas=2"}})
	require.NoError(t, err)
}

// TestRendererConcurrent renders one chart from many goroutines (run with -race).
func TestRendererConcurrent(t *testing.T) {
	t.Parallel()

	ch := appChart()
	ch.Schema = []byte(`{"properties": {"replicas": {"type": "integer"}}}`)
	rd := manifests.NewRenderer(ch)

	want, err := rd.Render(context.Background(), testKubeVersion, manifests.RenderOptions{Namespace: "apps"})
	require.NoError(t, err)

	errs := make(chan error, 8)

	for range 8 {
		go func() {
			r, err := rd.Render(context.Background(), testKubeVersion, manifests.RenderOptions{Namespace: "apps"})
			if err == nil && string(r.YAML) != string(want.YAML) {
				err = errors.New("different output")
			}
			errs <- err
		}()
	}

	for range 8 {
		require.NoError(t, <-errs)
	}
}

func TestRenderNamespaceNotDuplicated(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{"ns.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: v1
kind: Namespace
metadata:
  name: {{ .Release.Namespace }}
  labels: {from: chart}
`}, "")

	r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{Namespace: "apps", NamespaceLabels: map[string]string{"from": "options"}})
	require.NoError(t, err)
	require.Equal(t, []string{"Namespace apps", "ConfigMap apps/cm"}, refs(r.Objects))
	require.Equal(t, "chart", r.Objects[0].GetLabels()["from"], "the chart's Namespace is kept as rendered")

	r, err = manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"Namespace kube-system", "ConfigMap kube-system/cm"}, refs(r.Objects), "kube-system gets no extra Namespace")
}

func TestRenderValueConflictWarnings(t *testing.T) {
	t.Parallel()

	ch := tinyChart(map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"},
		"table:\n  a: 1\nscalar: x\nnested:\n  inner:\n    b: 2\nfine:\n  c: 3\n")

	r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{
		Set:     []string{"table=3", "nested.inner=flat", "fine.c=4"},
		SetJSON: []string{`scalar={"a":1}`},
	})
	require.NoError(t, err)
	require.Equal(t, []string{
		"values: nested.inner is a table in the chart's values but not in the given ones (flat); the given value replaces the table",
		"values: scalar is a table in the given values but not in the chart's (x); the given table is used",
		"values: table is a table in the chart's values but not in the given ones (3); the given value replaces the table",
	}, r.Warnings)
}

// TestRenderLogsNothing checks that a render with value/table conflicts, in the chart and in a
// subchart, prints nothing through the standard logger (Helm logs them while coalescing) and
// still renders the caller's values. It swaps the standard logger's output, so it does not
// run in parallel (parallel tests only start after the sequential ones have finished).
func TestRenderLogsNothing(t *testing.T) {
	var logged bytes.Buffer

	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })

	sub := tinyChart(map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sub}\ndata: {x: {{ .Values.x | quote }}}\n"},
		"x:\n  k: 1\n")
	sub.Metadata.Name = "sub"
	ch := tinyChart(map[string]string{"cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  table: {{ .Values.table | quote }}
  scalar: {{ .Values.scalar.a | quote }}
  inner: {{ .Values.nested.inner | quote }}
`}, "table:\n  a: 1\nscalar: x\nnested:\n  inner:\n    b: 2\n")
	ch.Metadata.Dependencies = []*chart.Dependency{{Name: "sub", Version: "0.1.0"}}
	ch.SetDependencies(sub)

	r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{
		Set:     []string{"table=3", "nested.inner=flat", "sub.x=flat"},
		SetJSON: []string{`scalar={"a":"from-table"}`},
	})
	require.NoError(t, err)
	require.Empty(t, logged.String(), "the render must not print through the standard logger")
	require.Equal(t, []string{
		"values: nested.inner is a table in the chart's values but not in the given ones (flat); the given value replaces the table",
		"values: scalar is a table in the given values but not in the chart's (x); the given table is used",
		"values: table is a table in the chart's values but not in the given ones (3); the given value replaces the table",
		"values: sub.x is a table in the chart's values but not in the given ones (flat); the given value replaces the table",
	}, r.Warnings)

	data := map[string]map[string]any{}
	for _, o := range r.Objects {
		d, _, err := unstructured.NestedMap(o.Object, "data")
		require.NoError(t, err)
		data[o.GetName()] = d
	}
	require.Equal(t, map[string]map[string]any{
		"cm":  {"table": "3", "scalar": "from-table", "inner": "flat"},
		"sub": {"x": "flat"},
	}, data, "the caller's values win, as in Helm")
	require.Equal(t, map[string]any{"k": float64(1)}, sub.Values["x"], "the subchart is not modified")
}

// FuzzRenderValues feeds arbitrary assignments and values files to a render: it never panics,
// and a successful render's YAML parses back to the same objects.
func FuzzRenderValues(f *testing.F) {
	f.Add("a.b=c,list={x,y}", "a:\n  d: 1\n")
	f.Add("x[0].y=1", "")
	f.Add("a=", "- not a map\n")
	f.Add(`name=with\,comma`, "nested: {deep: {deeper: [1, {k: v}]}}\n")

	ch := tinyChart(map[string]string{"cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  values: {{ toYaml .Values | quote }}
`}, "a:\n  b: default\n")

	f.Fuzz(func(t *testing.T, set, file string) {
		r, err := manifests.Render(context.Background(), ch, testKubeVersion, manifests.RenderOptions{
			Set: []string{set}, ValuesFiles: [][]byte{[]byte(file)}, SkipSchemaValidation: true,
		})
		if err != nil {
			var re *manifests.RenderError
			require.ErrorAs(t, err, &re)

			return
		}

		back, err := manifests.ParseObjects(r.YAML)
		require.NoError(t, err)
		require.Equal(t, refs(r.Objects), refs(back))
	})
}
