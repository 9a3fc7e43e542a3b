package manifests_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/common"

	"github.com/talospatch/talospatch/manifests"
)

// hostileCase is a chart built to take a renderer down, and how its render must end.
type hostileCase struct {
	name      string
	templates map[string]string
	values    string
	opts      manifests.RenderOptions
	timeout   time.Duration // for the render's context; 0: none
	// want is the error: a sentinel, the RenderError kind and, for limits, the limit.
	sentinel error
	kind     manifests.RenderErrorKind
	limit    string
	contains string
}

func hostileCases() []hostileCase {
	levels := map[string]string{"levels.tpl": `{{ define "l0" }}xy{{ end }}`}
	for i := 1; i <= 40; i++ {
		levels["levels.tpl"] += fmt.Sprintf(`{{ define "l%d" }}{{ include "l%d" . }}{{ include "l%d" . }}{{ end }}`, i, i-1, i-1)
	}

	levels["out.yaml"] = `v: {{ include "l40" . }}`

	return []hostileCase{
		{
			name:      "cyclic dict printed",
			templates: map[string]string{"c.yaml": `{{ $d := dict }}{{ $_ := set $d "s" $d }}v: {{ $d }}`},
			sentinel:  manifests.ErrCyclicValue, kind: manifests.KindTemplate,
		},
		{
			name:      "tpl calls itself through a value",
			templates: map[string]string{"t.yaml": `v: {{ tpl .Values.x . }}`},
			values:    "x: '{{ tpl .Values.x . }}'\n",
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Nesting", contains: "t.yaml",
		},
		{
			name:      "two templates include each other",
			templates: map[string]string{"_h.tpl": `{{ define "a" }}{{ include "b" . }}{{ end }}{{ define "b" }}{{ include "a" . }}{{ end }}`, "a.yaml": `v: {{ include "a" . }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Nesting",
		},
		{
			name:      "two includes per level, 40 levels",
			templates: levels,
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Calls", contains: "out.yaml",
		},
		{
			name:      "huge range until",
			templates: map[string]string{"r.yaml": `{{ range until 100000000 }}x{{ end }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Range", contains: "until 100000000",
		},
		{
			name:      "a string doubled",
			templates: map[string]string{"d.yaml": `{{ $s := "xxxxxxxx" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}v: {{ $s }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Output", contains: "print",
		},
		{
			name:      "a small value blown up in the output",
			templates: map[string]string{"o.yaml": `{{ range until 1000000 }}{{ repeat 1000 "x" }}{{ end }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "TemplateOutput", contains: "o.yaml",
		},
		{
			name:      "a list doubled with push",
			templates: map[string]string{"p.yaml": `{{ $l := list "xxxxxxxx" }}{{ range until 40 }}{{ $l = push $l $l }}{{ end }}v: {{ toJson $l }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Output",
		},
		{
			name:      "a dict doubled with set",
			templates: map[string]string{"s.yaml": `{{ $d := dict "a" "xxxxxxxx" }}{{ range until 40 }}{{ $n := dict }}{{ $_ := set $n "a" $d }}{{ $_ := set $n "b" $d }}{{ $d = $n }}{{ end }}v: {{ toJson $d }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Output",
		},
		{
			name:      "a dict doubled with set, printed",
			templates: map[string]string{"s.yaml": `{{ $d := dict "a" "xxxxxxxx" }}{{ range until 40 }}{{ $n := dict }}{{ $_ := set $n "a" $d }}{{ $_ := set $n "b" $d }}{{ $d = $n }}{{ end }}v: {{ $d }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Output",
		},
		{
			name:      "a wide dict encoded",
			templates: map[string]string{"w.yaml": `{{ $s := repeat 1048576 "x" }}{{ $d := dict }}{{ range $i := until 2000 }}{{ $_ := set $d (print $i) $s }}{{ end }}v: {{ toJson $d }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Output",
		},
		{
			name:      "a wide dict printed",
			templates: map[string]string{"w.yaml": `{{ $s := repeat 1048576 "x" }}{{ $d := dict }}{{ range $i := until 2000 }}{{ $_ := set $d (print $i) $s }}{{ end }}v: {{ $d }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Output",
		},
		{
			name:      "indent wider than the output",
			templates: map[string]string{"i.yaml": `v: {{ indent 1000000000 "x" }}`},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Range",
		},
		{
			name:      "a lower limit of the caller",
			templates: map[string]string{"_h.tpl": `{{ define "n" }}n{{ end }}`, "n.yaml": `{{ range until 20 }}{{ include "n" . }}{{ end }}`},
			opts:      manifests.RenderOptions{Limits: manifests.RenderLimits{Calls: 10}},
			sentinel:  manifests.ErrRenderLimit, kind: manifests.KindLimit, limit: "Calls",
		},
		{
			name:      "the context ends",
			templates: levels,
			opts:      manifests.RenderOptions{Limits: manifests.RenderLimits{Calls: 1 << 40, Output: 1 << 40, TemplateOutput: 1 << 40}},
			timeout:   200 * time.Millisecond,
			sentinel:  context.DeadlineExceeded, kind: manifests.KindStopped,
		},
	}
}

// TestHostileRenders renders each hostile chart in a child process under a memory cap
// (1.5 GiB of heap) and a timeout, so that a regression fails this test instead of taking the
// test binary (or the machine) down: the render must end with the expected error.
func TestHostileRenders(t *testing.T) {
	t.Parallel()

	if os.Getenv("TALOSPATCH_HOSTILE_CASE") != "" {
		t.Skip("in the child process")
	}

	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()

			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHostileRenderChild$", "-test.v")
			cmd.Env = append(os.Environ(), "TALOSPATCH_HOSTILE_CASE="+tc.name)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "the child process failed (memory cap, timeout or a wrong error):\n%s", out)
			require.Contains(t, string(out), "--- PASS: TestHostileRenderChild")
		})
	}
}

// TestHostileRenderChild is the child process of TestHostileRenders.
func TestHostileRenderChild(t *testing.T) {
	name := os.Getenv("TALOSPATCH_HOSTILE_CASE")
	if name == "" {
		t.Skip("run by TestHostileRenders")
	}

	capHeap(1536 << 20)

	for _, tc := range hostileCases() {
		if tc.name != name {
			continue
		}

		ch := tinyChart(tc.templates, tc.values)

		ctx := context.Background()
		if tc.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tc.timeout)
			defer cancel()
		}

		start := time.Now()
		r, err := manifests.Render(ctx, ch, testKubeVersion, tc.opts)
		t.Logf("%s: %v after %v", tc.name, err, time.Since(start))
		require.Nil(t, r)
		require.ErrorIs(t, err, tc.sentinel)

		var re *manifests.RenderError
		require.True(t, errors.As(err, &re), "%T", err)
		require.Equal(t, tc.kind, re.Kind, "%v", err)
		require.Equal(t, tc.limit, re.Limit)
		require.Contains(t, err.Error(), tc.contains)

		if tc.kind == manifests.KindStopped || tc.kind == manifests.KindLimit {
			require.Contains(t, re.Template, "/templates/", "the template that was executing: %v", err)
		}

		return
	}

	t.Fatalf("no hostile case %q", name)
}

// capHeap exits the process when its heap passes max bytes: the memory cap of a child of
// TestHostileRenders.
func capHeap(max uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

	go func() {
		for {
			metrics.Read(sample)
			if sample[0].Value.Uint64() > max {
				fmt.Fprintf(os.Stderr, "memory cap: heap %d bytes over %d\n", sample[0].Value.Uint64(), max)
				os.Exit(3)
			}

			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// TestHostileChartLimitsKeepCilium: the default limits render every shipped Cilium chart with
// Hubble relay and UI; far lower limits than the defaults still do.
func TestHostileChartLimitsKeepCilium(t *testing.T) {
	t.Parallel()

	for _, v := range []string{"1.11.2", "1.16.18", "1.20.0"} {
		ch := loadCilium(t, v)

		for _, lim := range []manifests.RenderLimits{{}, {Nesting: 10, Calls: 2000, Output: 4 << 20, TemplateOutput: 1 << 20, Range: 1000}} {
			_, err := manifests.RenderCilium(t.Context(), ch, testKubeVersion, manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true},
				manifests.RenderOptions{Set: []string{"hubble.relay.enabled=true", "hubble.ui.enabled=true"}, Limits: lim})
			require.NoError(t, err, "cilium %s with %+v", v, lim)
		}
	}
}

// FuzzRenderLimits renders random template text under tight limits and a deadline: the render
// ends (the deadline is far above what the limits allow), never panics, and either succeeds
// within the output limits or fails with a *RenderError.
func FuzzRenderLimits(f *testing.F) {
	for _, tc := range hostileCases() {
		for name, text := range tc.templates {
			if !strings.HasPrefix(name, "_") && !strings.HasSuffix(name, ".tpl") {
				f.Add(text, tc.values)
			}
		}
	}

	f.Add(`{{ define "a" }}{{ include "a" . }}{{ end }}{{ include "a" . }}`, "")
	f.Add(`{{ range $i := until 50 }}{{ tpl "{{ repeat 100 \"x\" }}" $ }}{{ end }}`, "")
	f.Add(`{{ $l := list }}{{ range until 100 }}{{ $l = append $l (toJson $l) }}{{ end }}{{ $l }}`, "")
	f.Add(`v: {{ .Values.x | quote }}`, "x: y\n")
	f.Add(`{{ $l := list "x" }}{{ range until 100 }}{{ $l = append $l $l }}{{ end }}{{ $l }}`, "")

	lim := manifests.RenderLimits{Nesting: 50, Calls: 2000, Output: 1 << 20, TemplateOutput: 256 << 10, Range: 1000}

	f.Fuzz(func(t *testing.T, text, values string) {
		if _, err := common.ReadValues([]byte(values)); err != nil {
			return // not a values file (tinyChart takes only valid ones)
		}

		ch := tinyChart(map[string]string{"f.yaml": text}, values)

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()

		start := time.Now()
		r, err := manifests.Render(ctx, ch, testKubeVersion, manifests.RenderOptions{Limits: lim})

		if elapsed := time.Since(start); elapsed > 9*time.Second {
			t.Fatalf("a render under tight limits took %v", elapsed)
		}

		if err != nil {
			var re *manifests.RenderError
			require.True(t, errors.As(err, &re), "%T: %v", err, err)
			require.Nil(t, r)

			return
		}

		require.LessOrEqual(t, int64(len(r.HelmOutput)), int64(4*lim.Output), "the output passed the limits")
	})
}
